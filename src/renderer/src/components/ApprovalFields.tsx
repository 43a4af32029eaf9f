import { useT } from '../i18n';

export interface Approval {
  code: string;
  pin: string;
}

/**
 * Supervisor (or manager) code + PIN typed on the spot to approve a sensitive action. The PIN field is
 * a password field; nothing is remembered after the action.
 */
export function ApprovalFields({
  value,
  onChange,
  testIdPrefix = 'approval',
  labelCode,
  labelPin,
}: {
  value: Approval;
  onChange: (next: Approval) => void;
  testIdPrefix?: string;
  labelCode?: string;
  labelPin?: string;
}): React.JSX.Element {
  const t = useT();
  return (
    <div className="approval">
      <label>
        {labelCode ?? t('approval.code')}
        <input
          value={value.code}
          autoComplete="off"
          maxLength={16}
          onChange={(e) => onChange({ ...value, code: e.target.value })}
          data-testid={`${testIdPrefix}-code`}
        />
      </label>
      <label>
        {labelPin ?? t('approval.pin')}
        <input
          type="password"
          inputMode="numeric"
          autoComplete="off"
          maxLength={8}
          value={value.pin}
          onChange={(e) => onChange({ ...value, pin: e.target.value })}
          data-testid={`${testIdPrefix}-pin`}
        />
      </label>
    </div>
  );
}
