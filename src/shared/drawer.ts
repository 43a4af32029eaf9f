/**
 * The drawer count's notes and coins, in fen (¥100 … 1角), for the by-denomination count at 交班. Kept
 * free of zod: the handover form is part of the cashier page's first load.
 */
export const DENOMINATIONS_FEN = [10_000, 5_000, 2_000, 1_000, 500, 100, 50, 10] as const;
