import { AppError } from '../../../shared/errors';
import type { YimaValue } from './wire';

/**
 * Split settlement (`extend_params`, seed 4.15), every rule of the seed enforced before anything is
 * sent. A violation is an AppError BAD_INPUT whose `details.rule` names the rule (stable id) and whose
 * message says it in words; nothing is sent.
 */
export type SplitRule =
  | 'split.not_object'
  | 'split.flag'
  | 'split.n_no_info'
  | 'split.d_no_info'
  | 'split.info_only_r'
  | 'split.r_needs_info'
  | 'split.date_only_d'
  | 'split.date_format'
  | 'split.clean_flag'
  | 'split.list_required'
  | 'split.merchant_id'
  | 'split.keep_amt_required'
  | 'split.keep_amt_format'
  | 'split.div_amt_positive'
  | 'split.amount_sum'
  | 'split.keep_percentage_required'
  | 'split.percentage_format'
  | 'split.div_percentage_positive'
  | 'split.percentage_sum';

function refuse(rule: SplitRule, message: string): never {
  throw new AppError('BAD_INPUT', `split settlement refused (${rule}): ${message}`, { field: 'extend_params', rule });
}

const isObject = (v: unknown): v is Record<string, YimaValue> => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** Whole fen as a string or integer; null when it is not one. */
function fenOf(v: YimaValue | undefined): number | null {
  const text = typeof v === 'number' ? (Number.isSafeInteger(v) ? String(v) : '') : typeof v === 'string' ? v : '';
  if (!/^(0|[1-9][0-9]{0,8})$/.test(text)) return null;
  return Number(text);
}

/** A percentage with at most two decimals, in hundredths of a percent (integer arithmetic); null when malformed. */
export function percentHundredths(v: YimaValue | undefined): number | null {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
  const m = /^(0|[1-9][0-9]{0,2})(?:\.([0-9]{1,2}))?$/.exec(text);
  if (m === null) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function validDate(text: string): boolean {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})$/.exec(text);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Checks `extend_params` against the order amount (fen). `undefined`/null = no extend_params (the
 * console's configuration applies, seed).
 */
export function validateExtendParams(ext: YimaValue | undefined, txAmtFen: number): void {
  if (ext === undefined || ext === null) return;
  if (!isObject(ext)) refuse('split.not_object', 'extend_params must be a JSON object');
  const flag = ext.split_flag;
  if (present(flag) && flag !== 'N' && flag !== 'R' && flag !== 'D') refuse('split.flag', 'split_flag must be N, R or D');
  const hasInfo = present(ext.split_info);
  if (flag === 'N' && hasInfo) refuse('split.n_no_info', 'split_flag N (no split) must not carry split_info');
  if (flag === 'D' && hasInfo) refuse('split.d_no_info', 'split_flag D (delayed split) must not carry split_info');
  if (!present(flag) && hasInfo) refuse('split.info_only_r', 'split_info is only allowed with split_flag R');
  if (flag === 'R' && !hasInfo) refuse('split.r_needs_info', 'split_flag R (real-time split) needs split_info');
  if (present(ext.plan_split_date)) {
    if (flag !== 'D') refuse('split.date_only_d', 'plan_split_date is only allowed with split_flag D (delayed split)');
    if (typeof ext.plan_split_date !== 'string' || !validDate(ext.plan_split_date)) refuse('split.date_format', 'plan_split_date must be a date yyyymmdd');
  }
  if (!hasInfo) return;
  const info = ext.split_info;
  if (!isObject(info)) refuse('split.not_object', 'split_info must be a JSON object');
  const clean = info.is_clean_split;
  if (present(clean) && clean !== 'Y' && clean !== 'N') refuse('split.clean_flag', 'is_clean_split must be Y or N');
  const list = info.split_list;
  if (!Array.isArray(list) || list.length === 0) refuse('split.list_required', 'split_list must list at least one receiver');
  for (const [i, item] of list.entries()) {
    if (!isObject(item) || typeof item.merchant_id !== 'string' || item.merchant_id.trim() === '') {
      refuse('split.merchant_id', `split_list[${i}] needs a merchant_id`);
    }
  }
  const items = list as Record<string, YimaValue>[];
  if (clean === 'Y') {
    if (!present(info.keep_percentage)) refuse('split.keep_percentage_required', 'a clean split (is_clean_split Y) needs keep_percentage');
    const keep = percentHundredths(info.keep_percentage);
    if (keep === null) refuse('split.percentage_format', 'keep_percentage must be a percentage with at most two decimals');
    let sum = keep;
    for (const [i, item] of items.entries()) {
      const p = percentHundredths(item.div_percentage);
      if (p === null) refuse('split.percentage_format', `split_list[${i}].div_percentage must be a percentage with at most two decimals`);
      if (p <= 0) refuse('split.div_percentage_positive', `split_list[${i}].div_percentage must be greater than 0`);
      sum += p;
    }
    if (sum !== 10_000) refuse('split.percentage_sum', `keep_percentage + Σ div_percentage must be exactly 100, is ${(sum / 100).toFixed(2)}`);
    return;
  }
  if (!present(info.keep_amt)) refuse('split.keep_amt_required', 'a split by amount needs keep_amt (0 = keep nothing)');
  const keep = fenOf(info.keep_amt);
  if (keep === null) refuse('split.keep_amt_format', 'keep_amt must be whole fen');
  let sum = keep;
  for (const [i, item] of items.entries()) {
    const d = fenOf(item.div_amt);
    if (d === null || d <= 0) refuse('split.div_amt_positive', `split_list[${i}].div_amt must be whole fen greater than 0`);
    sum += d;
  }
  if (sum !== txAmtFen) refuse('split.amount_sum', `keep_amt + Σ div_amt must equal tx_amt exactly (${sum} ≠ ${txAmtFen} fen)`);
}

/** A split plan as configured per counter (Settings / provisioning), before it becomes extend_params. */
export interface YimaSplitPlan {
  flag: 'N' | 'R' | 'D';
  /** D only: yyyymmdd. */
  planSplitDate?: string;
  /** R only. */
  clean?: boolean;
  /** Not clean: the receivers' fixed shares in fen; the counter keeps the rest. */
  receivers?: { merchantId: string; divAmtFen?: number | undefined; divPercentage?: string | undefined }[];
  /** Clean split only. */
  keepPercentage?: string;
}

/** Checks a configured plan on its own (Settings): every rule that does not depend on the sale's amount. */
export function validateSplitPlan(plan: YimaSplitPlan | null | undefined): void {
  extendParamsFor(plan, 999_999_999);
}

/**
 * The extend_params of a plan for one sale. With a split by amount the keeper's keep_amt is what remains
 * after the receivers' fixed amounts; the result is validated like any other extend_params.
 */
export function extendParamsFor(plan: YimaSplitPlan | null | undefined, txAmtFen: number): Record<string, YimaValue> | undefined {
  if (plan === null || plan === undefined) return undefined;
  const ext: Record<string, YimaValue> = { split_flag: plan.flag };
  if (plan.planSplitDate !== undefined && plan.planSplitDate !== '') ext.plan_split_date = plan.planSplitDate;
  if (plan.flag === 'R' || (plan.receivers ?? []).length > 0) {
    const receivers = plan.receivers ?? [];
    if (plan.clean === true) {
      ext.split_info = {
        is_clean_split: 'Y',
        keep_percentage: plan.keepPercentage ?? '',
        split_list: receivers.map((r) => ({ merchant_id: r.merchantId, div_percentage: r.divPercentage ?? '' })),
      };
    } else {
      const divided = receivers.reduce((s, r) => s + (r.divAmtFen ?? 0), 0);
      if (divided > txAmtFen) refuse('split.amount_sum', `the receivers' shares (${divided} fen) exceed the sale (${txAmtFen} fen)`);
      ext.split_info = {
        keep_amt: String(txAmtFen - divided),
        split_list: receivers.map((r) => ({ merchant_id: r.merchantId, div_amt: String(r.divAmtFen ?? 0) })),
      };
    }
  }
  validateExtendParams(ext, txAmtFen);
  return ext;
}
