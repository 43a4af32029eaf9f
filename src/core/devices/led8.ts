/**
 * LED-8 price displays (数码管客显): eight 7-segment digits and four lamps 单价/总计/收款/找零.
 * Byte sequences from the digest §1a.
 *
 * Overflow policy (8 cells): by default the decimal point is the DP segment of the digit before it and
 * takes no cell (`dotTakesCell` for units that spend a cell on it); a minus sign takes a cell. Too long
 * → drop the cents (truncate, never round up money) → still too long → all nines, keeping the minus.
 */
import { formatFen } from '../../shared/money';
import type { LampVariant } from '../../shared/devices';
import type { DisplayEncoder, DisplayView, Lamp } from './display-types';
import { TEST_AMOUNT_FEN } from './display-types';

export const LED8_CELLS = 8;

const LAMP_INDEX: Record<Lamp, number> = { off: 0, price: 1, total: 2, paid: 3, change: 4 };

/** `1B 40` initialise. */
export function led8Init(): Buffer {
  return Buffer.from([0x1b, 0x40]);
}

/** `0C` clear the digits. */
export function led8Clear(): Buffer {
  return Buffer.from([0x0c]);
}

/**
 * Lamp command in the profile's variant: `ascii` `1B 73 3n`, `binary` `1B 73 0n`,
 * `four-byte` `1B 73 <n+1> 01`, `bare` `3n` alone; n = 0 off, 1 price, 2 total, 3 paid, 4 change.
 */
export function led8Lamp(lamp: Lamp, variant: LampVariant = 'ascii'): Buffer {
  const n = LAMP_INDEX[lamp];
  switch (variant) {
    case 'ascii':
      return Buffer.from([0x1b, 0x73, 0x30 + n]);
    case 'binary':
      return Buffer.from([0x1b, 0x73, n]);
    case 'four-byte':
      return Buffer.from([0x1b, 0x73, n + 1, 0x01]);
    case 'bare':
      return Buffer.from([0x30 + n]);
  }
}

/**
 * `1B 51 41` + ASCII + `0D`. Only digits, `.` and `-` are allowed; anything else throws a RangeError
 * (a programming error: callers pass text made by `led8AmountText`).
 */
export function led8Number(text: string): Buffer {
  if (!/^-?[0-9.]*$/.test(text)) throw new RangeError(`LED-8 shows digits, "." and "-" only: "${text}"`);
  return Buffer.concat([Buffer.from([0x1b, 0x51, 0x41]), Buffer.from(text, 'latin1'), Buffer.from([0x0d])]);
}

function cellsOf(text: string, dotTakesCell: boolean): number {
  let cells = 0;
  for (const ch of text) if (ch !== '.' || dotTakesCell) cells += 1;
  return cells;
}

/**
 * The text an LED-8 shows for an amount in fen (integer, may be negative), applying the overflow
 * policy above. 12850 → "128.50"; 1234567890 → "12345678"; 12345678900 → "99999999";
 * -123456789 → "-1234567".
 */
export function led8AmountText(amountFen: number, dotTakesCell = false): string {
  const negative = amountFen < 0;
  const abs = Math.abs(Math.trunc(amountFen));
  const sign = negative ? '-' : '';
  const full = sign + formatFen(abs);
  if (cellsOf(full, dotTakesCell) <= LED8_CELLS) return full;
  const whole = sign + String(Math.floor(abs / 100));
  if (cellsOf(whole, dotTakesCell) <= LED8_CELLS) return whole;
  return sign + '9'.repeat(LED8_CELLS - sign.length);
}

export interface Led8Options {
  lampVariant?: LampVariant;
  dotTakesCell?: boolean;
}

const VIEW_LAMP: Record<'price' | 'total' | 'paid' | 'change', Lamp> = {
  price: 'price',
  total: 'total',
  paid: 'paid',
  change: 'change',
};

/**
 * LED-8 encoder. idle → clear, lamps off; amount views → lamp then number (the digest's order);
 * test → 总计 lamp + 12345.67 so the lamp variant can be checked too.
 */
export function createLed8Encoder(options: Led8Options = {}): DisplayEncoder {
  const variant = options.lampVariant ?? 'ascii';
  const dotTakesCell = options.dotTakesCell ?? false;
  return {
    init: () => [led8Init()],
    render: (view: DisplayView) => {
      switch (view.kind) {
        case 'idle':
          return [led8Clear(), led8Lamp('off', variant)];
        case 'test':
          return [led8Lamp('total', variant), led8Number(led8AmountText(TEST_AMOUNT_FEN, dotTakesCell))];
        default:
          return [led8Lamp(VIEW_LAMP[view.kind], variant), led8Number(led8AmountText(view.amountFen, dotTakesCell))];
      }
    },
  };
}
