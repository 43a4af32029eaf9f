/**
 * Serial device configuration and status: the customer pole display (客显) and the card terminal
 * (收银机联动). Schemas validate what the settings screen saves; the types are what src/core/devices
 * consumes. Platform-free: no Node, no serialport.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors';
import { ReceiptPrinterConfigSchema } from './printer';

/** LED-8 digit display, CD5220-style 2×20 VFD, Epson ESC/POS DM-D VFD, user-defined byte templates. */
export const PoleDisplayProtocolSchema = z.enum(['led8', 'cd5220', 'escpos', 'custom']);

/** `ascii` replaces anything outside printable ASCII with `?`; `gbk`/`gb18030` for Hanzi-capable units. */
export const DisplayTextEncodingSchema = z.enum(['ascii', 'gbk', 'gb18030']);

/**
 * LED-8 lamp command variants (vendor differences):
 * - `ascii`: `1B 73 '0'..'4'` (default)
 * - `binary`: `1B 73 00..04`
 * - `four-byte`: `1B 73 <n+1> 01` (n = 0 off … 4 change)
 * - `bare`: the ASCII lamp byte `'0'..'4'` alone, no `1B 73`
 */
export const LampVariantSchema = z.enum(['ascii', 'binary', 'four-byte', 'bare']);

/**
 * How Hanzi mode is entered on 2×20 VFDs when the encoding is GBK/GB18030:
 * `fs` sends `1C 26` after clearing (common on Chinese clones), `none` sends nothing.
 */
export const HanziModeSchema = z.enum(['fs', 'none']);

/** Mark/space parity exists only on Windows, so it is not offered. */
export const ParitySchema = z.enum(['none', 'even', 'odd']);

export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

const baudRate = z.number().int().min(300).max(921_600);

/** Placeholders accepted in custom display templates. */
export const TEMPLATE_PLACEHOLDERS = ['text', 'amount', 'row', 'row0', 'rowLetter', 'col'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/**
 * Checks a custom-display template: hex byte pairs (spaces allowed between bytes) and `{placeholder}`s.
 * Returns null when valid, otherwise a human-readable reason (no exception: used by the zod schema and
 * by the core parser, which turns it into CONFIG_INVALID naming the field).
 */
export function templateProblem(template: string): string | null {
  let hexRun = '';
  let i = 0;
  const flushHex = (): string | null => {
    if (hexRun.length % 2 !== 0) return `odd number of hex digits in "${hexRun}"`;
    hexRun = '';
    return null;
  };
  while (i < template.length) {
    const ch = template.charAt(i);
    if (ch === '{') {
      const problem = flushHex();
      if (problem !== null) return problem;
      const end = template.indexOf('}', i);
      if (end < 0) return 'unclosed "{"';
      const name = template.slice(i + 1, end);
      if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
        return `unknown placeholder {${name}}; allowed: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`;
      }
      i = end + 1;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === ',') {
      const problem = flushHex();
      if (problem !== null) return problem;
    } else if (/^[0-9a-fA-F]$/.test(ch)) {
      hexRun += ch;
    } else {
      return `not a hex digit: "${ch}" at position ${i + 1}`;
    }
    i += 1;
  }
  return flushHex();
}

const templateString = z
  .string()
  .max(512)
  .superRefine((value, ctx) => {
    const problem = templateProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

export const CustomDisplayTemplateSchema = z.object({
  /** Sent once after the port opens. */
  init: templateString.default(''),
  /** Clears the whole display. */
  clear: templateString,
  /** Writes one line; `{text}` is the line, encoded and padded to `lineWidth` cells. */
  showLine: templateString,
  /** Optional: for digit-only units, writes an amount (`{amount}` = ASCII like `128.50`) instead of lines. */
  showAmount: templateString.optional(),
  lineWidth: z.number().int().min(1).max(80).default(20),
  rows: z.number().int().min(1).max(4).default(2),
});

export const PoleDisplayConfigSchema = z
  .object({
    protocol: PoleDisplayProtocolSchema,
    /** Port path: `COM3`, `/dev/ttyUSB0`, a pty link. */
    path: z.string().min(1).max(260),
    /** Default: 2400 for LED-8, 9600 for VFDs and custom (see `defaultBaudRate`). */
    baudRate: baudRate.optional(),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    parity: ParitySchema.default('none'),
    encoding: DisplayTextEncodingSchema.default('ascii'),
    lampVariant: LampVariantSchema.default('ascii'),
    /** Some LED-8 units drop commands that arrive closer than ~100 ms apart. */
    interCommandDelayMs: z.number().int().min(0).max(150).default(0),
    /**
     * LED-8 only. Default false: on 7-segment units the decimal point is the DP segment of a digit, so
     * `128.50` uses 5 cells. Set true for units that spend a whole cell on the dot.
     */
    dotTakesCell: z.boolean().default(false),
    hanziMode: HanziModeSchema.default('fs'),
    custom: CustomDisplayTemplateSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.protocol === 'custom' && value.custom === undefined) {
      ctx.addIssue({ code: 'custom', path: ['custom'], message: 'the custom protocol needs its templates' });
    }
  });

/** Transaction type codes of the UnionPay-merchant-services MIS layout (digest §2b). */
export const MIS_TRANSACTION_TYPES = {
  sale: '00',
  void: '01',
  refund: '02',
  balance: '03',
  reprint: '04',
  signOn: '05',
  settle: '06',
} as const;

/**
 * [guess] The digest defines no "query last transaction" code. `07` is the first unused code; a
 * terminal that does not know it answers with a non-`00` return code, which leaves the sale unknown
 * (safe) instead of mis-resolving it. Change it per acquirer profile.
 */
export const DEFAULT_QUERY_LAST_TYPE = '07';

export const CardTerminalConfigSchema = z.object({
  protocol: z.enum(['unionpay-mis']).default('unionpay-mis'),
  path: z.string().min(1).max(260),
  baudRate: baudRate.default(9600),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
  parity: ParitySchema.default('none'),
  /** Register (POS) number, ≤ 8 ASCII characters. */
  registerNo: z
    .string()
    .max(8)
    .regex(/^[\x20-\x7e]*$/)
    .default(''),
  /** Default operator number when the caller gives none, ≤ 8 ASCII characters. */
  operatorNo: z
    .string()
    .max(8)
    .regex(/^[\x20-\x7e]*$/)
    .default(''),
  /** Wait for the terminal's ACK of a request. */
  ackTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  /** Wait for the answer to a sale/refund/void (the customer is at the PIN pad). */
  answerTimeoutMs: z.number().int().min(1000).max(600_000).default(150_000),
  /** Wait for the answer to queries, sign-on, reprint, settle. */
  queryTimeoutMs: z.number().int().min(1000).max(600_000).default(60_000),
  /** Resends after a NAK (link level). */
  maxRetries: z.number().int().min(0).max(5).default(2),
  /** [guess] transaction type code used for "query last transaction"; see DEFAULT_QUERY_LAST_TYPE. */
  queryLastType: z
    .string()
    .regex(/^[0-9A-Za-z]{2}$/)
    .default(DEFAULT_QUERY_LAST_TYPE),
});

export const DevicesConfigSchema = z.object({
  poleDisplay: PoleDisplayConfigSchema.nullable().default(null),
  cardTerminal: CardTerminalConfigSchema.nullable().default(null),
  /** The receipt printer (小票打印机), see ./printer.ts. */
  receiptPrinter: ReceiptPrinterConfigSchema.nullable().default(null),
});

export const DeviceNameSchema = z.enum(['pole-display', 'card-terminal', 'receipt-printer']);
export const DeviceStateSchema = z.enum(['not_configured', 'connecting', 'connected', 'disconnected', 'error']);

export const DeviceStatusSchema = z.object({
  device: DeviceNameSchema,
  state: DeviceStateSchema,
  /** Human-readable, English; the UI shows it under the translated state. */
  detail: z.string(),
  port: z.string().optional(),
  /** Stable error code when the state is `error` or `disconnected` for a known reason. */
  code: z.enum(ERROR_CODES).optional(),
});

export const SerialPortEntrySchema = z.object({
  path: z.string(),
  /** `system`: reported by the OS; `configured`: a path from the settings (ptys never show in the OS list). */
  source: z.enum(['system', 'configured']),
  present: z.boolean(),
  manufacturer: z.string().optional(),
  serialNumber: z.string().optional(),
  vendorId: z.string().optional(),
  productId: z.string().optional(),
});

export const PortListSchema = z.object({
  ports: z.array(SerialPortEntrySchema),
  /** Why the OS list is missing or partial (e.g. `udevadm` not installed); null when complete. */
  reason: z.string().nullable(),
});

export type PoleDisplayProtocol = z.output<typeof PoleDisplayProtocolSchema>;
export type DisplayTextEncoding = z.output<typeof DisplayTextEncodingSchema>;
export type LampVariant = z.output<typeof LampVariantSchema>;
export type HanziMode = z.output<typeof HanziModeSchema>;
export type Parity = z.output<typeof ParitySchema>;
export type CustomDisplayTemplate = z.output<typeof CustomDisplayTemplateSchema>;
export type PoleDisplayConfig = z.output<typeof PoleDisplayConfigSchema>;
export type PoleDisplayConfigInput = z.input<typeof PoleDisplayConfigSchema>;
export type CardTerminalConfig = z.output<typeof CardTerminalConfigSchema>;
export type CardTerminalConfigInput = z.input<typeof CardTerminalConfigSchema>;
export type DevicesConfig = z.output<typeof DevicesConfigSchema>;
export type DeviceName = z.output<typeof DeviceNameSchema>;
export type DeviceState = z.output<typeof DeviceStateSchema>;
export type DeviceStatus = z.output<typeof DeviceStatusSchema>;
export type SerialPortEntry = z.output<typeof SerialPortEntrySchema>;
export type PortList = z.output<typeof PortListSchema>;
export type MisTransactionType = (typeof MIS_TRANSACTION_TYPES)[keyof typeof MIS_TRANSACTION_TYPES];

/** The port speed used when the settings leave it empty: LED-8 units ship at 2400, VFDs at 9600. */
export function defaultBaudRate(protocol: PoleDisplayProtocol): number {
  return protocol === 'led8' ? 2400 : 9600;
}

/** What the pole display should show for a payment (see core/devices/display-state.ts). */
export type DisplayState = 'idle' | { kind: 'total'; amountFen: number } | { kind: 'paid'; amountFen: number } | { kind: 'change'; amountFen: number };
