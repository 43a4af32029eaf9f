/** Strings of the sign-in, refund desk and transactions screens (zh is the source; en must have the same keys). */
export const deskZh = {
  'nav.refund': '退款',
  'nav.transactions': '流水',
} as const;

export const deskEn: Record<keyof typeof deskZh, string> = {
  'nav.refund': 'Refunds',
  'nav.transactions': 'Transactions',
};
