/**
 * Template driver for odd hardware (digest §1c): the user enters hex byte strings with placeholders,
 * e.g. showLine `1B 6C 01 {row} {text}`. Covers a new model without new code.
 *
 * Placeholders: `{text}` the line (encoded, exactly `lineWidth` cells), `{amount}` ASCII amount such as
 * `128.50`, `{row}` the row as one binary byte (1-based), `{row0}` 0-based, `{rowLetter}` `A`, `B`, …,
 * `{col}` the column as one binary byte (always 1: whole lines are written).
 */
import { AppError } from '../../shared/errors';
import { formatFen } from '../../shared/money';
import type { CustomDisplayTemplate, DisplayTextEncoding, TemplatePlaceholder } from '../../shared/devices';
import { TEMPLATE_PLACEHOLDERS, templateProblem } from '../../shared/devices';
import type { DisplayEncoder, DisplayView } from './display-types';
import { TEST_AMOUNT_FEN } from './display-types';
import { viewLines } from './lines';

export type TemplatePart = { kind: 'bytes'; bytes: Buffer } | { kind: 'placeholder'; name: TemplatePlaceholder };

export interface TemplateValues {
  text?: Buffer;
  amount?: string;
  row?: number;
}

/**
 * Parses a template. Fails with CONFIG_INVALID naming `field` for bad hex (odd digit count, non-hex
 * characters), unknown placeholders, or placeholders not in `allowed`.
 */
export function parseTemplate(field: string, template: string, allowed: readonly TemplatePlaceholder[] = TEMPLATE_PLACEHOLDERS): TemplatePart[] {
  const problem = templateProblem(template);
  if (problem !== null) throw new AppError('CONFIG_INVALID', `${field}: ${problem}`, { field });
  const parts: TemplatePart[] = [];
  const re = /\{([A-Za-z0-9]+)\}/g;
  let last = 0;
  const pushHex = (hex: string): void => {
    const clean = hex.replace(/[\s,]/g, '');
    if (clean.length > 0) parts.push({ kind: 'bytes', bytes: Buffer.from(clean, 'hex') });
  };
  for (const match of template.matchAll(re)) {
    const name = match[1] as TemplatePlaceholder;
    if (!allowed.includes(name)) {
      throw new AppError('CONFIG_INVALID', `${field}: {${name}} cannot be used here`, { field });
    }
    pushHex(template.slice(last, match.index));
    parts.push({ kind: 'placeholder', name });
    last = match.index + match[0].length;
  }
  pushHex(template.slice(last));
  return parts;
}

/** Fills a parsed template. A placeholder without a value renders as nothing. */
export function renderTemplate(parts: readonly TemplatePart[], values: TemplateValues): Buffer {
  const out: Buffer[] = [];
  const row = values.row ?? 1;
  for (const part of parts) {
    if (part.kind === 'bytes') {
      out.push(part.bytes);
      continue;
    }
    switch (part.name) {
      case 'text':
        if (values.text !== undefined) out.push(values.text);
        break;
      case 'amount':
        if (values.amount !== undefined) out.push(Buffer.from(values.amount, 'latin1'));
        break;
      case 'row':
        out.push(Buffer.from([row]));
        break;
      case 'row0':
        out.push(Buffer.from([row - 1]));
        break;
      case 'rowLetter':
        out.push(Buffer.from([0x40 + row]));
        break;
      case 'col':
        out.push(Buffer.from([1]));
        break;
    }
  }
  return Buffer.concat(out);
}

/**
 * Builds the encoder; every template is validated up front, so a bad setting fails when it is saved or
 * loaded (CONFIG_INVALID with `field` = `custom.init` / `custom.clear` / `custom.showLine` /
 * `custom.showAmount`), not when a customer is waiting.
 */
export function createCustomEncoder(template: CustomDisplayTemplate, encoding: DisplayTextEncoding = 'ascii'): DisplayEncoder {
  const init = parseTemplate('custom.init', template.init, []);
  const clear = parseTemplate('custom.clear', template.clear, []);
  const showLine = parseTemplate('custom.showLine', template.showLine);
  const showAmount =
    template.showAmount === undefined || template.showAmount.trim() === '' ? null : parseTemplate('custom.showAmount', template.showAmount, ['amount']);
  const width = template.lineWidth;
  const rows = template.rows;
  const amountOf = (view: DisplayView): number | null => (view.kind === 'idle' ? null : view.kind === 'test' ? TEST_AMOUNT_FEN : view.amountFen);

  return {
    init: () => (init.length === 0 ? [] : [renderTemplate(init, {})]),
    render: (view: DisplayView) => {
      const cmds = [renderTemplate(clear, {})];
      const amountFen = amountOf(view);
      if (amountFen === null) return cmds;
      const amount = formatFen(amountFen);
      if (showAmount !== null) {
        cmds.push(renderTemplate(showAmount, { amount }));
        return cmds;
      }
      viewLines(view, encoding, width, rows).forEach((text, index) => {
        cmds.push(renderTemplate(showLine, { text, amount, row: index + 1 }));
      });
      return cmds;
    },
  };
}
