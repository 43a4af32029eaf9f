/**
 * The training gateway's own split-settlement checks, written separately from the client's
 * (gateways/yima/split.ts) on purpose: tests prove the client refuses before sending AND that the
 * gateway would refuse too, so neither side's check hides a bug in the other. Returns a comment, or null.
 */
type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

const obj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown): boolean => !(v === undefined || v === null || v === '');

function cents(v: Json | undefined): number | null {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(s)) return null;
  const [w = '0', f = ''] = s.split('.');
  return parseInt(w, 10) * 100 + parseInt((f + '00').slice(0, 2), 10);
}

function fen(v: Json | undefined): number | null {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
  return /^\d{1,9}$/.test(s) && !(s.length > 1 && s.startsWith('0')) ? parseInt(s, 10) : null;
}

export function simSplitProblem(ext: Json | undefined, txAmt: number): string | null {
  if (ext === undefined || ext === null || ext === '') return null;
  if (!obj(ext)) return 'extend_params 不是 JSON 对象';
  const flag = ext.split_flag;
  const info = ext.split_info;
  if (given(flag) && flag !== 'N' && flag !== 'R' && flag !== 'D') return 'split_flag 只能是 N、R 或 D';
  if (given(info) && flag !== 'R') return '仅实时分账(split_flag=R)支持传入 split_info';
  if (flag === 'R' && !given(info)) return '实时分账(split_flag=R)时 split_info 必传';
  if (given(ext.plan_split_date)) {
    if (flag !== 'D') return 'plan_split_date 仅延时分账(split_flag=D)时支持传入';
    if (typeof ext.plan_split_date !== 'string' || !/^\d{8}$/.test(ext.plan_split_date)) return 'plan_split_date 格式应为 yyyymmdd';
  }
  if (!given(info)) return null;
  if (!obj(info)) return 'split_info 不是 JSON 对象';
  const list = info.split_list;
  if (!Array.isArray(list) || list.length === 0) return 'split_list 必填';
  if (list.some((e) => !obj(e) || typeof e.merchant_id !== 'string' || e.merchant_id === '')) return 'split_list.merchant_id 必填';
  const entries = list as Record<string, Json>[];
  if (info.is_clean_split === 'Y') {
    const keep = cents(info.keep_percentage);
    if (keep === null) return '净值分账时 keep_percentage 必填(最多两位小数)';
    let total = keep;
    for (const e of entries) {
      const p = cents(e.div_percentage);
      if (p === null || p === 0) return '净值分账时 div_percentage 必填且必须大于0';
      total += p;
    }
    return total === 10000 ? null : 'keep_percentage 与 div_percentage 之和必须为100%';
  }
  if (given(info.is_clean_split) && info.is_clean_split !== 'N') return 'is_clean_split 只能是 Y 或 N';
  const keep = fen(info.keep_amt);
  if (keep === null) return '不使用净值分账时 keep_amt 必填';
  let total = keep;
  for (const e of entries) {
    const d = fen(e.div_amt);
    if (d === null || d === 0) return 'div_amt 必填且必须大于0';
    total += d;
  }
  return total === txAmt ? null : 'keep_amt 与 div_amt 叠加必须全额分完整笔订单';
}
