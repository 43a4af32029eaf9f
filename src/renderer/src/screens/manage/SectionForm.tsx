import { useState } from 'react';
import { ApprovalSchema } from '../../../../shared/reports';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { FieldErrorsContext, hostFieldError, schemaMessageText, useManageErrorText, type FieldErrors } from './common';

/** Thrown by a section's submit when local validation found problems (no request was sent). */
export class FieldProblems extends Error {
  readonly errors: FieldErrors;
  constructor(errors: FieldErrors) {
    super('invalid fields');
    this.name = 'FieldProblems';
    this.errors = errors;
  }
}

const EMPTY: Approval = { code: '', pin: '' };

/**
 * One settings section: its fields, the approver's code + PIN, its own Save. Local validation errors
 * and the host's BAD_INPUT both land on the field they name; anything else shows above the button.
 * The PIN is cleared after every attempt. Enter in any field submits.
 */
export function SectionForm({
  id,
  title,
  intro,
  submitLabel,
  approvalLabels,
  submit,
  children,
  extra,
}: {
  id: string;
  title: string;
  intro?: React.ReactNode;
  submitLabel?: string;
  approvalLabels?: { code: string; pin: string };
  /** Validates and saves; throws FieldProblems or a BridgeError. Resolves with a success text. */
  submit: (approval: Approval) => Promise<string>;
  children: React.ReactNode;
  /** Rendered after the form (e.g. a test button with its own result). */
  extra?: React.ReactNode;
}): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const [approval, setApproval] = useState<Approval>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (): Promise<void> => {
    setMessage(null);
    setErrors({});
    const approvalCheck = ApprovalSchema.safeParse(approval);
    const approvalErrors: FieldErrors = {};
    if (!approvalCheck.success) {
      for (const issue of approvalCheck.error.issues) approvalErrors[`approval.${issue.path.map(String).join('.')}`] ??= schemaMessageText(t, issue.message);
    }
    setBusy(true);
    try {
      if (!approvalCheck.success) throw new FieldProblems(approvalErrors);
      const text = await submit(approvalCheck.data);
      setMessage({ kind: 'ok', text });
    } catch (e) {
      const fields = e instanceof FieldProblems ? e.errors : hostFieldError(t, e);
      if (fields !== null) {
        setErrors(fields);
        setMessage({ kind: 'error', text: t('manage.settings.fixFields', { n: Object.keys(fields).length }) });
      } else {
        setMessage({ kind: 'error', text: errorText(e) });
      }
    } finally {
      setApproval((a) => ({ ...a, pin: '' }));
      setBusy(false);
    }
  };

  const approvalProblems = Object.entries(errors).filter(([k]) => k.startsWith('approval.'));
  return (
    <div className="section-wrap">
      <form
        className="panel settings-section"
        data-testid={`section-${id}`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy) void run();
        }}
      >
        <h3>{title}</h3>
        {intro}
        <FieldErrorsContext.Provider value={errors}>
          <div className="fields-grid">{children}</div>
        </FieldErrorsContext.Provider>
        <div className="save-row">
          <ApprovalFields
            value={approval}
            onChange={setApproval}
            testIdPrefix={`${id}-approval`}
            {...(approvalLabels === undefined ? {} : { labelCode: approvalLabels.code, labelPin: approvalLabels.pin })}
          />
          <button type="submit" className="primary" disabled={busy} data-testid={`${id}-save`}>
            {submitLabel ?? t('manage.settings.save')} <kbd>Enter</kbd>
          </button>
        </div>
        {approvalProblems.map(([k, v]) => (
          <p key={k} className="error" role="alert" data-testid="field-error" data-field={k}>
            {t('input.labelled', {
              label: k === 'approval.pin' ? (approvalLabels?.pin ?? t('approval.pin')) : (approvalLabels?.code ?? t('approval.code')),
              rule: v,
            })}
          </p>
        ))}
        {message !== null && (
          <p className={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'} data-testid={`${id}-message`}>
            {message.text}
          </p>
        )}
      </form>
      {extra}
    </div>
  );
}
