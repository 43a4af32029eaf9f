/**
 * Per-gateway amount limits: the most one sale may be on each gateway, whatever the shop configures
 * (BPC carries 12 digits of fen, Yima's tx_amt is Number(9), the card terminal's MIS amount field 12
 * digits). The engine checks a sale against the lower of the gateway's limit and the shop's
 * `limits.maxAmountFen` before anything is written or sent.
 */
import type { GatewayId } from '../../shared/domain';
import { AppError } from '../../shared/errors';
import { assertFen, BPC_MAX_FEN, CARD_TERMINAL_MAX_FEN, formatFen, YIMA_MAX_FEN, type Fen } from '../../shared/money';

export const GATEWAY_MAX_FEN: Readonly<Record<GatewayId, Fen>> = {
  bpc: BPC_MAX_FEN,
  terminal: CARD_TERMINAL_MAX_FEN,
  yima: YIMA_MAX_FEN,
  // Cash has no gateway: only the shop's own limit applies.
  cash: Number.MAX_SAFE_INTEGER,
};

/** The largest sale on `gateway` under the shop's configured maximum. */
export function saleLimitFen(gateway: GatewayId, shopMaxFen: Fen): Fen {
  return Math.min(GATEWAY_MAX_FEN[gateway], shopMaxFen);
}

/**
 * Throws AMOUNT_INVALID (not a positive whole number of fen) or AMOUNT_TOO_LARGE (above the lower of
 * the gateway's and the shop's limit; `details.maxFen`, `details.gateway`); returns the amount.
 */
export function assertSaleAmount(gateway: GatewayId, amountFen: number, shopMaxFen: Fen): Fen {
  return assertAmountWithin(gateway, amountFen, GATEWAY_MAX_FEN[gateway], shopMaxFen);
}

/** assertSaleAmount for any gateway, given its declared limit (the engine passes the adapter's capability). */
export function assertAmountWithin(gateway: string, amountFen: number, gatewayMaxFen: Fen, shopMaxFen: Fen): Fen {
  const limit = Math.min(gatewayMaxFen, shopMaxFen);
  if (Number.isSafeInteger(amountFen) && amountFen > limit) {
    const by = gatewayMaxFen < shopMaxFen ? `the ${gateway} gateway's own limit` : "the shop's limit";
    throw new AppError(
      'AMOUNT_TOO_LARGE',
      `amount ${formatFen(amountFen)} exceeds the limit ${formatFen(limit)} (${by}); take it in several sales or use another tender`,
      {
        maxFen: limit,
        gateway,
      },
    );
  }
  return assertFen(amountFen, limit);
}
