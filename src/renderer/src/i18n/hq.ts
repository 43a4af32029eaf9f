/** Strings of Settings → 总部 (headquarters sync; zh is the source; en must have the same keys). */
export const hqZh = {
  'manage.section.hq': '总部',
  'hq.settings.title': '总部同步',
  'hq.settings.intro':
    '连锁门店：本机账本的每一条记录都会按顺序、签名后补传到总部。总部无法连接时照常收款，恢复后自动补传。门店代码和收银台编号必须与总部登记的一致。',
  'hq.settings.url': '总部地址',
  'hq.settings.urlHint': '总部服务的地址；局域网以外请用 https://',
  'hq.settings.store': '门店代码',
  'hq.settings.lane': '总部登记的收银台编号',
  'hq.settings.codeHint': '字母、数字、_ 和 -，1–16 位',
  'hq.settings.interval': '同步检查间隔（秒）',
  'hq.settings.ca': '总部证书的 CA 证书（可选，PEM）',
  'hq.settings.caHint':
    '总部使用自建 CA 签发的 https 证书时，粘贴该 CA 的 PEM 证书（-----BEGIN CERTIFICATE-----）；填写后只信任这个 CA。公共证书留空。证书不受信任时不会发送任何数据。',
  'hq.settings.plainHttp':
    '未加密的 http：数据仍有签名、不会被篡改，但销售明细和操作员 PIN 摘要在网络上可被看到。正式模式下不会向其他机器的 http 地址发送，请用 https://。',
  'hq.settings.orderLane': '订单号中的台号：{code}（在「门店」中设置；同一商户号下每台收银机不同）',
  'hq.key.title': '总部密钥（只能写入）',
  'hq.health.progress': '总部已确认至第 {acked} 条记录，待传 {waiting} 条，最近联系 {last}',
  'hq.key.isSet': '已设置',
  'hq.key.hint': '总部登记收银台时给出的密钥（至少 16 个字符）；保存后不会再显示，也不会预先填入。',
  'hq.key.tooShort': '总部密钥至少 16 个字符。',
} as const;

export const hqEn: Record<keyof typeof hqZh, string> = {
  'manage.section.hq': 'Headquarters',
  'hq.settings.title': 'Headquarters sync',
  'hq.settings.intro':
    "Chains: every record of this counter's ledger is delivered to headquarters in order, signed. While headquarters cannot be reached, selling goes on; what is waiting is sent when it is back. Store code and counter number must match what headquarters registered.",
  'hq.settings.url': 'Headquarters URL',
  'hq.settings.urlHint': 'The headquarters service; use https:// outside the local network',
  'hq.settings.store': 'Store code',
  'hq.settings.lane': 'Counter number at headquarters',
  'hq.settings.codeHint': 'Letters, digits, _ and -, 1–16',
  'hq.settings.interval': 'Sync check interval (seconds)',
  'hq.settings.ca': 'CA certificate of headquarters (optional, PEM)',
  'hq.settings.caHint':
    "When headquarters' https certificate comes from a private CA, paste that CA's PEM certificate (-----BEGIN CERTIFICATE-----); then only this CA is trusted. Empty for a public certificate. Nothing is sent while the certificate is not trusted.",
  'hq.settings.plainHttp':
    "Plain http: batches stay signed and cannot be altered, but the sales and operators' PIN hashes can be read on the network. Live mode sends nothing to plain http on another machine; use https://.",
  'hq.settings.orderLane': 'Lane in order numbers: {code} (set under "Shop"; different on every counter of a merchant number)',
  'hq.key.title': 'Headquarters key (write-only)',
  'hq.health.progress': 'headquarters acknowledged up to record {acked}, {waiting} waiting, last contact {last}',
  'hq.key.isSet': 'Set',
  'hq.key.hint': 'The key headquarters gave when it registered this counter (at least 16 characters); once saved, it is never shown again nor pre-filled.',
  'hq.key.tooShort': 'The headquarters key needs at least 16 characters.',
};
