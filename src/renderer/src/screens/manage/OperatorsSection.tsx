import { useCallback, useEffect, useState } from 'react';
import { z } from 'zod';
import { RoleSchema, type OperatorViewData, type Role } from '../../../../shared/reports';
import { call } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import { useT, type MessageKey } from '../../i18n';
import { formatTime } from '../../lib/format';
import { Check, Field, useManageErrorText, validate } from './common';
import { FieldProblems, SectionForm } from './SectionForm';

const OperatorFormSchema = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]{1,16}$/, 'letters and digits, 1–16'),
  name: z.string().trim().min(1).max(40),
  role: RoleSchema,
  pin: z
    .string()
    .regex(/^\d{4,8}$/, '4–8 digits')
    .optional(),
  active: z.boolean(),
});

/** Operators (never their PINs): the table, and one add/edit form approved on the spot. */
export function OperatorsSection(): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const [list, setList] = useState<OperatorViewData[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<OperatorViewData | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setList(await call('operators:list', undefined));
    } catch (e) {
      setError(errorText(e));
    }
  }, [errorText]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <div className="panel settings-section" data-testid="section-operators">
        <h3>{t('manage.ops.title')}</h3>
        {error !== null && <p className="error">{error}</p>}
        {notice !== null && (
          <p className="ok" role="status" data-testid="operators-message">
            {notice}
          </p>
        )}
        <table className="grid" data-testid="operators-table">
          <thead>
            <tr>
              <th>{t('manage.ops.code')}</th>
              <th>{t('manage.ops.name')}</th>
              <th>{t('manage.ops.role')}</th>
              <th>{t('manage.ops.state')}</th>
              <th>{t('manage.ops.updated')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((o) => (
              <tr key={o.code} data-testid={`op-${o.code}`} className={o.active ? '' : 'zero'}>
                <td className="mono">{o.code}</td>
                <td>{o.name}</td>
                <td>{t(`manage.role.${o.role}` as MessageKey)}</td>
                <td>
                  {!o.active
                    ? t('manage.ops.inactive')
                    : o.lockedUntil !== null && o.lockedUntil > Date.now()
                      ? t('manage.ops.locked', { until: formatTime(o.lockedUntil) })
                      : t('manage.ops.active')}
                </td>
                <td>{formatTime(o.updatedAt)}</td>
                <td>
                  <button type="button" onClick={() => (setNotice(null), setEditing(o))} data-testid={`op-edit-${o.code}`}>
                    {t('manage.ops.edit')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="actions">
          <button type="button" onClick={() => (setNotice(null), setEditing('new'))} data-testid="op-add">
            {t('manage.ops.add')}
          </button>
        </div>
      </div>
      {editing !== null && (
        <OperatorForm
          key={editing === 'new' ? 'new' : editing.code}
          operator={editing === 'new' ? null : editing}
          onBack={() => setEditing(null)}
          onSaved={(code) => {
            setEditing(null);
            setNotice(t('manage.ops.saved', { code }));
            void load();
          }}
        />
      )}
    </>
  );
}

function OperatorForm({
  operator,
  onBack,
  onSaved,
}: {
  operator: OperatorViewData | null;
  onBack: () => void;
  onSaved: (code: string) => void;
}): React.JSX.Element {
  const t = useT();
  const [code, setCode] = useState(operator?.code ?? '');
  const [name, setName] = useState(operator?.name ?? '');
  const [role, setRole] = useState<Role>(operator?.role ?? 'cashier');
  const [pin, setPin] = useState('');
  const [active, setActive] = useState(operator?.active ?? true);

  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, OperatorFormSchema, { code, name, role, ...(pin === '' ? {} : { pin }), active });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    if (operator === null && checked.value.pin === undefined) throw new FieldProblems({ pin: t('manage.ops.pinNeeded') });
    const saved = await call('operators:save', { ...checked.value, approval });
    setPin('');
    onSaved(saved.code);
    return t('manage.ops.saved', { code: saved.code });
  };

  return (
    <div
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onBack();
        }
      }}
    >
      <SectionForm
        id="operator"
        title={operator === null ? t('manage.ops.addTitle') : t('manage.ops.editTitle', { code: operator.code })}
        intro={<p className="hint">{t('manage.ops.approvalHint')}</p>}
        approvalLabels={{ code: t('manage.ops.approverCode'), pin: t('manage.ops.approverPin') }}
        submit={submit}
        extra={
          <button type="button" onClick={onBack} data-testid="op-cancel">
            {t('manage.back')} <kbd>Esc</kbd>
          </button>
        }
      >
        <Field label={t('manage.ops.code')} path="code">
          <input
            value={code}
            readOnly={operator !== null}
            maxLength={16}
            onChange={(e) => setCode(e.target.value)}
            data-testid="op-code"
            autoFocus={operator === null}
          />
        </Field>
        <Field label={t('manage.ops.name')} path="name">
          <input value={name} maxLength={40} onChange={(e) => setName(e.target.value)} data-testid="op-name" autoFocus={operator !== null} />
        </Field>
        <Field label={t('manage.ops.role')} path="role">
          <select value={role} onChange={(e) => setRole(RoleSchema.parse(e.target.value))} data-testid="op-role">
            {RoleSchema.options.map((r) => (
              <option key={r} value={r}>
                {t(`manage.role.${r}` as MessageKey)}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label={operator === null ? t('manage.ops.pin') : t('manage.ops.newPin')}
          path="pin"
          hint={operator === null ? t('manage.ops.pinHint') : t('manage.ops.pinKeep')}
        >
          <input
            type="password"
            inputMode="numeric"
            autoComplete="new-password"
            maxLength={8}
            value={pin}
            onChange={(e) => setPin(e.target.value)}
            data-testid="op-pin"
          />
        </Field>
        <Check label={t('manage.ops.activeLabel')} checked={active} onChange={setActive} testId="op-active" />
      </SectionForm>
    </div>
  );
}
