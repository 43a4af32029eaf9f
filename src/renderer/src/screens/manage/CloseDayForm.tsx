import { useEffect, useRef, useState } from 'react';
import { BridgeError, call } from '../../bridge/client';
import { ActionForm } from '../../components/ActionForm';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { shiftDay } from '../desk/day';
import { useManageErrorText } from './common';
import type { ClosedDay } from './ReportView';

const EMPTY: Approval = { code: '', pin: '' };

/**
 * 日结: the manager's code + PIN; when anything is unresolved, a supervisor override with a reason
 * is required (and recorded). The host re-queries open items before freezing, so a day may also
 * close without an override if everything settled meanwhile. Enter submits, Esc goes back.
 */
export function CloseDayForm({
  day,
  unresolved,
  onClosed,
  onBack,
  onStale,
}: {
  day: string;
  unresolved: number;
  onClosed: (closed: ClosedDay) => void;
  onBack: () => void;
  /** The host found unresolved items the screen did not show: reload the report. */
  onStale: () => void;
}): React.JSX.Element {
  const t = useT();
  // A refused field is named as the form labels it (the manager's code, not "operator no.").
  const errorText = useManageErrorText({
    'manager.code': t('manage.close.managerCode'),
    'manager.pin': t('manage.close.managerPin'),
    'override.approval.code': t('approval.code'),
    'override.approval.pin': t('approval.pin'),
    'override.reason': t('manage.close.reason'),
  });
  const [manager, setManager] = useState<Approval>(EMPTY);
  const [supervisor, setSupervisor] = useState<Approval>(EMPTY);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLFormElement>(null);
  const needsOverride = unresolved > 0;

  useEffect(() => {
    ref.current?.querySelector('input')?.focus();
  }, []);

  const submit = async (): Promise<void> => {
    setError(null);
    if (needsOverride && (supervisor.code.trim() === '' || supervisor.pin === '' || reason.trim().length < 2)) {
      setError(t('manage.close.overrideMissing'));
      return;
    }
    setBusy(true);
    try {
      const closed = await call('day:close', {
        day,
        manager,
        ...(needsOverride ? { override: { approval: supervisor, reason: reason.trim() } } : {}),
      });
      setManager(EMPTY);
      setSupervisor(EMPTY);
      onClosed(closed);
    } catch (e) {
      setManager((m) => ({ ...m, pin: '' }));
      setSupervisor((s) => ({ ...s, pin: '' }));
      setError(errorText(e));
      if (e instanceof BridgeError && e.info.code === 'UNRESOLVED_ITEMS') onStale();
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionForm
      formRef={ref}
      className="panel close-form"
      testId="close-form"
      title={t('manage.close.title', { day })}
      onSubmit={() => {
        if (!busy) void submit();
      }}
      back={{ label: t('manage.back'), onBack }}
      error={error}
      errorTestId="close-error"
      submitLabel={busy ? t('manage.close.working') : t('manage.close.submit')}
      submitTestId="close-submit"
      primary
      busy={busy}
    >
      <p className="hint">{t('manage.close.explain')}</p>
      <p className="notice-inline" data-testid="close-counter-stays">
        {t('manage.close.counterStays', { day, next: shiftDay(day, 1) })}
      </p>
      <ApprovalFields
        value={manager}
        onChange={setManager}
        testIdPrefix="close-manager"
        labelCode={t('manage.close.managerCode')}
        labelPin={t('manage.close.managerPin')}
      />
      {needsOverride && (
        <fieldset className="override-box" data-testid="close-override">
          <legend>{t('manage.close.overrideTitle')}</legend>
          <p className="warning">{t('manage.close.overrideNeeded', { n: unresolved })}</p>
          <ApprovalFields value={supervisor} onChange={setSupervisor} testIdPrefix="close-supervisor" />
          <label className="field-inline">
            {t('manage.close.reason')}
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} data-testid="close-reason" />
          </label>
        </fieldset>
      )}
    </ActionForm>
  );
}
