import { MEMO_MAX, MER_ORDER_NO_MAX, MER_ORDER_NO_PATTERN } from '../../../../shared/sale-rules';
import { useT } from '../../i18n';

type T = ReturnType<typeof useT>;

export interface SaleFieldErrors {
  merOrderNo?: string | undefined;
  memo?: string | undefined;
}

/**
 * The order number and memo checked with the rules the contract's schemas are built from (shared,
 * without zod: the checkout's first load carries no schema library), as the user reads the rule.
 */
export function saleFieldProblems(t: T, merOrderNo: string, memo: string): SaleFieldErrors {
  const out: SaleFieldErrors = {};
  const order = merOrderNo.trim();
  if (order.length > MER_ORDER_NO_MAX) out.merOrderNo = t('input.rule.maxChars', { n: MER_ORDER_NO_MAX });
  else if (!MER_ORDER_NO_PATTERN.test(order)) out.merOrderNo = t('input.rule.orderNoChars');
  if (memo.trim().length > MEMO_MAX) out.memo = t('input.rule.maxChars', { n: MEMO_MAX });
  return out;
}

/** F2: the optional merchant order number and memo of the next sale, each with its own error. */
export function SaleFields(props: {
  orderRef: React.RefObject<HTMLInputElement | null>;
  memoRef: React.RefObject<HTMLInputElement | null>;
  merOrderNo: string;
  memo: string;
  errors: SaleFieldErrors;
  onOrderNo: (v: string) => void;
  onMemo: (v: string) => void;
}): React.JSX.Element {
  const t = useT();
  const { errors } = props;
  return (
    <div className="fields">
      <label className={errors.merOrderNo === undefined ? '' : 'field-bad'}>
        <span className="field-label">{t('checkout.orderNo')}</span>
        <input
          ref={props.orderRef}
          value={props.merOrderNo}
          maxLength={40}
          aria-invalid={errors.merOrderNo !== undefined}
          onChange={(e) => props.onOrderNo(e.target.value)}
          data-testid="mer-order-no"
        />
        {errors.merOrderNo !== undefined && (
          <span className="field-error" data-testid="mer-order-no-error">
            {t('input.labelled', { label: t('input.field.merOrderNo'), rule: errors.merOrderNo })}
          </span>
        )}
      </label>
      <label className={errors.memo === undefined ? '' : 'field-bad'}>
        <span className="field-label">{t('checkout.memo')}</span>
        <input
          ref={props.memoRef}
          value={props.memo}
          maxLength={80}
          aria-invalid={errors.memo !== undefined}
          onChange={(e) => props.onMemo(e.target.value)}
          data-testid="memo"
        />
        {errors.memo !== undefined && (
          <span className="field-error" data-testid="memo-error">
            {t('input.labelled', { label: t('input.field.memo'), rule: errors.memo })}
          </span>
        )}
      </label>
      <p className="hint">{t('checkout.fieldsEsc')}</p>
    </div>
  );
}
