/**
 * The rules of a sale's own fields as plain values, without zod: the domain schemas are built from
 * them and the checkout checks as typed with them, so the cashier page's first load carries no
 * schema library (issue 9.17).
 */

/** The merchant's own order number: at most this many characters after trimming… */
export const MER_ORDER_NO_MAX = 32;
/** …of these (the BPC gateway's merOrderNo alphabet). */
export const MER_ORDER_NO_PATTERN = /^[0-9A-Za-z_-]*$/;
/** The schema message when the alphabet is broken (the renderer maps it to its own words). */
export const MER_ORDER_NO_CHARS_MESSAGE = 'letters, digits, _ and - only';
/** The memo on a sale: at most this many characters after trimming. */
export const MEMO_MAX = 64;

/** What the trainer can make the next training payment do. */
export const TRAINING_SCRIPTS = ['success', 'manual', 'fail', 'hang', 'unknown', 'duplicate_notify', 'reject'] as const;
