/**
 * Receipt printer (小票打印机) configuration and status. ESC/POS thermal printers on a serial port, on
 * the network (raw TCP, port 9100) or as a Linux printer device file (`/dev/usb/lp0`); in the Electron
 * app also a system (spooler) printer that gets an HTML receipt. Platform-free: no Node here.
 */
import { z } from 'zod';

export const PrinterTransportSchema = z.enum(['serial', 'tcp', 'device', 'system']);

/** Paper width in mm: 58 mm = 32 columns / 384 dots, 80 mm = 48 columns / 576 dots (font A). */
export const PaperWidthSchema = z.union([z.literal(58), z.literal(80)]);

export const PAPER = {
  58: { columns: 32, dots: 384 },
  80: { columns: 48, dots: 576 },
} as const;

/** When a receipt is printed after a paid sale: at once, after asking the cashier, or never. */
export const AutoPrintSchema = z.enum(['auto', 'ask', 'off']);

export const DrawerSchema = z
  .object({
    /** Kick the drawer for cash tender and cash refunds. */
    enabled: z.boolean().default(true),
    /** Connector pin: 2 (`ESC p 0`) or 5 (`ESC p 1`). */
    pin: z.union([z.literal(2), z.literal(5)]).default(2),
    /** Pulse on time, ms (sent as ms / 2, 2–510). */
    onMs: z.number().int().min(2).max(510).default(100),
    /** Pulse off time, ms (sent as ms / 2, 2–510). */
    offMs: z.number().int().min(2).max(510).default(200),
  })
  .strict();

export const ReceiptPrinterConfigSchema = z
  .object({
    transport: PrinterTransportSchema,
    /** Serial port (`COM3`, `/dev/ttyUSB0`) or device file (`/dev/usb/lp0`). */
    path: z.string().trim().max(260).default(''),
    /** Network printer address (tcp). */
    host: z.string().trim().max(253).default(''),
    port: z.number().int().min(1).max(65_535).default(9100),
    /** Name of the system printer (Electron only; '' = the default printer). */
    systemPrinter: z.string().trim().max(200).default(''),
    baudRate: z.number().int().min(300).max(921_600).default(9600),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    paperWidth: PaperWidthSchema.default(80),
    encoding: z.enum(['gb18030', 'gbk']).default('gb18030'),
    /** Send `FS &` (Chinese character mode) before text; off for printers that are always in it or misread it. */
    chineseMode: z.boolean().default(true),
    cut: z.enum(['full', 'partial', 'none']).default('partial'),
    /** Lines fed before the cut so the last line clears the cutter. */
    feedLines: z.number().int().min(0).max(10).default(4),
    drawer: DrawerSchema.default({ enabled: true, pin: 2, onMs: 100, offMs: 200 }),
    autoPrint: AutoPrintSchema.default('auto'),
    /** Printed under the shop name (phone, address); newlines allowed. */
    header: z.string().max(300).default(''),
    /** Printed at the end (return policy); newlines allowed. */
    footer: z.string().max(300).default(''),
    /** Ask the printer for its status (`DLE EOT`) before each job where the transport can read. */
    statusQuery: z.boolean().default(true),
    /** How long a job (connect + write) may take. */
    timeoutMs: z.number().int().min(500).max(60_000).default(5000),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.transport === 'serial' || value.transport === 'device') && value.path === '') {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'a serial or device printer needs its port / device path' });
    }
    if (value.transport === 'tcp' && value.host === '') {
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'a network printer needs its address' });
    }
  });

export type PrinterTransport = z.output<typeof PrinterTransportSchema>;
export type PaperWidth = z.output<typeof PaperWidthSchema>;
export type AutoPrint = z.output<typeof AutoPrintSchema>;
export type DrawerConfig = z.output<typeof DrawerSchema>;
export type ReceiptPrinterConfig = z.output<typeof ReceiptPrinterConfigSchema>;
export type ReceiptPrinterConfigInput = z.input<typeof ReceiptPrinterConfigSchema>;

/** What `DLE EOT` told us; `null` fields were not readable on this transport. */
export const PrinterStatusSchema = z.object({
  online: z.boolean().nullable(),
  paperOut: z.boolean().nullable(),
  paperNearEnd: z.boolean().nullable(),
  coverOpen: z.boolean().nullable(),
});
export type PrinterStatus = z.output<typeof PrinterStatusSchema>;

export const PrintJobKindSchema = z.enum(['payment', 'refund', 'shift', 'day', 'test', 'drawer']);

/** A print that failed and waits to be offered again. */
export const PrintJobViewSchema = z.object({
  id: z.number().int(),
  kind: PrintJobKindSchema,
  /** Payment / refund / shift id, or the business day for `day`. */
  ref: z.union([z.number().int(), z.string()]),
  reprint: z.boolean(),
  /** Short label for the list: the order number, refund number, shift or day. */
  label: z.string(),
  createdAt: z.number(),
  attempts: z.number().int(),
  lastError: z.string(),
  lastCode: z.string(),
});
export type PrintJobView = z.output<typeof PrintJobViewSchema>;

export const PrintResultSchema = z.object({
  /** printed: on paper; queued: failed and kept for later; browser: print it with the page's dialog. */
  outcome: z.enum(['printed', 'queued', 'browser']),
  jobId: z.number().int().nullable(),
  detail: z.string(),
  code: z.string().nullable(),
});
export type PrintResult = z.output<typeof PrintResultSchema>;

/** A receipt as plain lines, for the browser print dialog and the HTML (system printer) path. */
export const ReceiptTextSchema = z.object({
  lines: z.array(z.object({ text: z.string(), align: z.enum(['left', 'center', 'right']), bold: z.boolean(), big: z.boolean() })),
  /** The QR / barcode content (what the refund desk search accepts), '' when none. */
  code: z.string(),
  columns: z.number().int(),
});
export type ReceiptText = z.output<typeof ReceiptTextSchema>;
