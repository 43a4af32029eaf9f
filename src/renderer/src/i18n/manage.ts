/** Strings of the reconciliation and settings screens (zh is the source; en must have the same keys). */
export const manageZh = {
  'nav.reconcile': '日结对账',
  'nav.settings': '设置',
} as const;

export const manageEn: Record<keyof typeof manageZh, string> = {
  'nav.reconcile': 'End of day',
  'nav.settings': 'Settings',
};
