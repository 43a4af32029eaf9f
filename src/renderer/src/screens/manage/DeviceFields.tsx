import { BAUD_RATES } from '../../../../shared/devices';
import { Field } from './common';

/** A select over an enum's options, each labelled by `label(option)`; nothing else is ever set. */
export function EnumSelect<T extends string>({
  value,
  options,
  label,
  onChange,
  testId,
}: {
  value: T;
  options: readonly T[];
  label: (option: T) => string;
  onChange: (next: T) => void;
  testId: string;
}): React.JSX.Element {
  return (
    <select
      value={value}
      onChange={(e) => {
        const next = options.find((o) => o === e.target.value);
        if (next !== undefined) onChange(next);
      }}
      data-testid={testId}
    >
      {options.map((o) => (
        <option key={o} value={o}>
          {label(o)}
        </option>
      ))}
    </select>
  );
}

/** The serial speeds every device offers; with `defaultLabel`, a first '' choice for the device's own default. */
export function BaudSelect({
  value,
  onChange,
  testId,
  defaultLabel,
}: {
  value: string;
  onChange: (baud: string) => void;
  testId: string;
  defaultLabel?: string;
}): React.JSX.Element {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      {defaultLabel !== undefined && <option value="">{defaultLabel}</option>}
      {BAUD_RATES.map((b) => (
        <option key={b} value={String(b)}>
          {b}
        </option>
      ))}
    </select>
  );
}

/** A number typed as text (timeouts, delays, counts), kept as text so a half-typed value is not lost. */
export function NumberField({
  label,
  path,
  hint,
  value,
  onChange,
  testId,
}: {
  label: string;
  path: string;
  hint?: string;
  value: string;
  onChange: (text: string) => void;
  testId: string;
}): React.JSX.Element {
  return (
    <Field label={label} path={path} {...(hint === undefined ? {} : { hint })}>
      <input inputMode="numeric" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </Field>
  );
}
