/** The way back out of an ActionForm: its button and the Esc key. */
export interface ActionFormBack {
  label: string;
  onBack: () => void;
  /**
   * Let Esc travel on to the window's listeners as well. The settlement form has always done so (the
   * checkout's own listener stands aside while it is open); the other forms keep Esc to themselves.
   */
  escapeBubbles?: boolean;
}

/**
 * The frame the supervisor-approved forms share (no-sale drawer, settlement, refund, Yima re-check, day
 * close): a title, the form's own fields, the refusal shown as an alert above the buttons, and a submit
 * button that names its key. Enter in any field submits; with a way back, Esc and the second button go
 * back. What is checked, sent and forgotten (the PIN) stays with each form.
 */
export function ActionForm({
  testId,
  className,
  formRef,
  title,
  onSubmit,
  back,
  error,
  errorTestId,
  submitLabel,
  submitTestId,
  primary = false,
  busy,
  result,
  children,
}: {
  testId: string;
  className: string;
  formRef?: React.RefObject<HTMLFormElement | null>;
  title: React.ReactNode;
  onSubmit: () => void;
  back?: ActionFormBack;
  error: string | null;
  errorTestId?: string;
  submitLabel: string;
  submitTestId: string;
  /** The submit button is the screen's primary button. */
  primary?: boolean;
  /** While true the submit button is disabled (the form's request is under way). */
  busy?: boolean;
  /** What the last request answered, shown below the refusal (the re-check's verdict). */
  result?: React.ReactNode;
  children: React.ReactNode;
}): React.JSX.Element {
  return (
    <form
      ref={formRef}
      className={className}
      data-testid={testId}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      onKeyDown={
        back === undefined
          ? undefined
          : (e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                if (back.escapeBubbles !== true) e.stopPropagation();
                back.onBack();
              }
            }
      }
    >
      <h3>{title}</h3>
      {children}
      {error !== null && (
        <p className="error" role="alert" data-testid={errorTestId}>
          {error}
        </p>
      )}
      {result}
      <div className="actions">
        <button type="submit" className={primary ? 'primary' : undefined} disabled={busy} data-testid={submitTestId}>
          {submitLabel} <kbd>Enter</kbd>
        </button>
        {back !== undefined && (
          <button type="button" onClick={back.onBack}>
            {back.label} <kbd>Esc</kbd>
          </button>
        )}
      </div>
    </form>
  );
}
