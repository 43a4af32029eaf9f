/**
 * Cash tender and cash drawer texts (issue 12). `cashCounter*` are the checkout's (loaded at start with
 * the core dictionary); `cash*` are the back office's (refund desk, handover, settings), registered with
 * the lazy screens by ./back-office.ts.
 */
export const cashCounterZh = {
  'checkout.tender.cash': '现金',
  'checkout.keys.tenderCash': '扫码 / 刷卡 / 现金',
  'checkout.cash.due': '应收',
  'checkout.cash.tendered': '实收',
  'checkout.cash.change': '找零',
  'checkout.cash.hint': '输入顾客给的金额后按 Enter（直接按 Enter = 刚好付清）；Esc 返回修改金额',
  'checkout.cash.short': '实收金额不足：还差 ¥{short}。请输入顾客实际给的金额（不少于应收金额）',
  'checkout.keys.cashBack': '返回改金额',
  'checkout.keys.cashTake': '收现金',
  'error.CASH_SHORT': '实收金额不足：请输入不少于应收金额的实收金额',
  'error.TENDER_DISABLED': '现金收款已在设置中关闭，请改用扫码或刷卡',
  'display.change': '找零',
  'handover.bucket.cash': '现金',
  'signin.float': '备用金（元，开班时钱箱里的零钱；留空 = 默认备用金）',
  'handover.counted': '钱箱实点现金（元，含备用金；不收现金可留空）',
  'handover.drawer': '钱箱清点',
  'handover.float': '备用金',
  'handover.cashSales': '现金收款',
  'handover.cashRefunds': '现金退款',
  'handover.expected': '应有现金',
  'handover.countedCash': '实点现金',
  'handover.difference': '差额',
  'handover.even': '相符',
  'handover.short': '短款 ¥{amount}',
  'handover.over': '长款 ¥{amount}',
} as const;

export const cashCounterEn: Record<keyof typeof cashCounterZh, string> = {
  'checkout.tender.cash': 'Cash',
  'checkout.keys.tenderCash': 'QR / card / cash',
  'checkout.cash.due': 'Due',
  'checkout.cash.tendered': 'Tendered',
  'checkout.cash.change': 'Change',
  'checkout.cash.hint': 'Type what the customer handed over, then Enter (Enter alone = exact amount); Esc goes back to the amount',
  'checkout.cash.short': 'Not enough cash: ¥{short} short. Type the amount the customer actually gave (at least the amount due)',
  'checkout.keys.cashBack': 'Back to the amount',
  'checkout.keys.cashTake': 'Take cash',
  'error.CASH_SHORT': 'Not enough cash tendered: type at least the amount due',
  'error.TENDER_DISABLED': 'The cash tender is switched off in Settings; take the payment by QR or card',
  'display.change': 'Change',
  'handover.bucket.cash': 'Cash',
  'signin.float': 'Opening float (yuan in the drawer at the start; empty = the default float)',
  'handover.counted': 'Cash counted in the drawer (yuan, float included; leave empty if no cash is taken)',
  'handover.drawer': 'Drawer count',
  'handover.float': 'Opening float',
  'handover.cashSales': 'Cash sales',
  'handover.cashRefunds': 'Cash refunds',
  'handover.expected': 'Expected cash',
  'handover.countedCash': 'Counted cash',
  'handover.difference': 'Difference',
  'handover.even': 'Even',
  'handover.short': 'Short ¥{amount}',
  'handover.over': 'Over ¥{amount}',
};

/** Back-office texts (settings, refund desk, handover); they load with the lazy screens. */
export const cashZh = {
  'manage.shop.cashTender': '现金收款（结账时可选“现金”，钱箱经小票打印机打开）',
  'manage.shop.defaultFloat': '默认备用金（元，每班开始时钱箱里的零钱）',
  'manage.bucket.cash': '现金',
  'manage.gateway.cash': '现金',
  'desk.tender.cash': '现金',
  'desk.refund.cardRecorded': '刷卡交易的退款在刷卡终端上办理：先在终端上退款，再在此登记终端的退款参考号（本系统不向银行发起刷卡退款）。',
  'desk.refund.cashNote': '现金退款：确认后钱箱打开，请从钱箱取出退款金额交给顾客。',
  'desk.refund.reference': '终端退款参考号（见终端退款凭条）',
  'desk.refund.referenceRequired': '请填写刷卡终端退款凭条上的参考号',
} as const;

export const cashEn: Record<keyof typeof cashZh, string> = {
  'manage.shop.cashTender': 'Cash tender (offered at checkout; the drawer opens through the receipt printer)',
  'manage.shop.defaultFloat': 'Default opening float (yuan in the drawer when a shift starts)',
  'manage.bucket.cash': 'Cash',
  'manage.gateway.cash': 'Cash',
  'desk.tender.cash': 'Cash',
  'desk.refund.cardRecorded': 'Card refunds are done on the card terminal: refund there first, then record the terminal\'s refund reference here (this desk sends no card refund to the bank).',
  'desk.refund.cashNote': 'Cash refund: the drawer opens when it is recorded; hand the amount to the customer from the drawer.',
  'desk.refund.reference': 'Terminal refund reference (on the terminal\'s refund slip)',
  'desk.refund.referenceRequired': "Type the reference on the card terminal's refund slip",
};
