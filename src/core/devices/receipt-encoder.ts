/**
 * ESC/POS receipt encoder (pure): a receipt described as blocks becomes the bytes a thermal printer
 * takes. Text is GB18030/GBK; widths are measured in bytes (a Hanzi is two columns of font A) and lines
 * are wrapped or cut between characters, never inside a double-byte one. Double size halves the
 * columns. Commands used (Epson ESC/POS, supported by the common Chinese clones):
 *
 * | what | bytes |
 * |---|---|
 * | initialise | `1B 40` |
 * | Chinese mode on / off | `1C 26` / `1C 2E` |
 * | align left / centre / right | `1B 61 00/01/02` |
 * | bold on / off | `1B 45 01/00` |
 * | size normal / double | `1D 21 00` / `1D 21 11` |
 * | QR (model 2, module size, EC level M, store, print) | `1D 28 6B …` fn 65 / 67 / 69 / 80 / 81 |
 * | CODE128 (height, width, HRI below, data with `{B`/`{C`) | `1D 68 n`, `1D 77 n`, `1D 48 02`, `1D 6B 49 n d…` |
 *
 * QR data is printable ASCII of at most 2331 bytes (model 2, EC M) and a symbol that fits the paper;
 * CODE128 data at most 255 encoded bytes that fit the paper. Anything else is printed as text instead.
 * | feed n lines | `1B 64 n` |
 * | cut full / partial | `1D 56 00` / `1D 56 01` |
 * | drawer kick pin 2 / 5 | `1B 70 00/01 t1 t2` (t × 2 ms) |
 * | status | `10 04 n` (1 printer, 2 offline cause, 4 paper) |
 */
import type { DrawerConfig, PaperWidth } from '../../shared/printer';
import { PAPER } from '../../shared/printer';
import { encodeChars } from './text';

export type Align = 'left' | 'center' | 'right';

export type ReceiptBlock =
  /** Wrapped to the paper width. */
  | { kind: 'text'; text: string; align?: Align; bold?: boolean; big?: boolean }
  /** Label on the left, value on the right; the value wins when both do not fit. */
  | { kind: 'pair'; label: string; value: string; bold?: boolean; big?: boolean }
  | { kind: 'rule'; char?: '-' | '=' }
  /**
   * A QR / CODE128 of `data`. When the printer cannot take it (too long, not printable ASCII, too wide
   * for the paper) `data` is printed as centred text instead, unless `textFallback` is false (the
   * caller prints it as text anyway).
   */
  | { kind: 'qr'; data: string; textFallback?: boolean }
  | { kind: 'barcode'; data: string; textFallback?: boolean }
  | { kind: 'feed'; lines: number };

export interface ReceiptEncodeOptions {
  paperWidth: PaperWidth;
  encoding: 'gbk' | 'gb18030';
  /** Send `FS &` before the text (default true). */
  chineseMode?: boolean;
  cut?: 'full' | 'partial' | 'none';
  /** Lines fed before the cut (default 4). */
  feedLines?: number;
  /** Kick the drawer at the start of the job (cash sales). */
  drawer?: DrawerConfig | null;
}

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const LF = 0x0a;

export const cmd = {
  init: (): Buffer => Buffer.from([ESC, 0x40]),
  chineseOn: (): Buffer => Buffer.from([FS, 0x26]),
  chineseOff: (): Buffer => Buffer.from([FS, 0x2e]),
  align: (a: Align): Buffer => Buffer.from([ESC, 0x61, a === 'left' ? 0 : a === 'center' ? 1 : 2]),
  bold: (on: boolean): Buffer => Buffer.from([ESC, 0x45, on ? 1 : 0]),
  size: (big: boolean): Buffer => Buffer.from([GS, 0x21, big ? 0x11 : 0x00]),
  feed: (lines: number): Buffer => Buffer.from([ESC, 0x64, Math.max(0, Math.min(255, Math.trunc(lines)))]),
  cut: (partial: boolean): Buffer => Buffer.from([GS, 0x56, partial ? 1 : 0]),
  /** `ESC p m t1 t2`: m 0 = pin 2, 1 = pin 5; times in units of 2 ms. */
  drawerKick: (drawer: Pick<DrawerConfig, 'pin' | 'onMs' | 'offMs'>): Buffer =>
    Buffer.from([ESC, 0x70, drawer.pin === 2 ? 0 : 1, pulseUnits(drawer.onMs), pulseUnits(drawer.offMs)]),
  /** `DLE EOT n`. */
  status: (n: 1 | 2 | 4): Buffer => Buffer.from([0x10, 0x04, n]),
};

function pulseUnits(ms: number): number {
  return Math.max(1, Math.min(255, Math.round(ms / 2)));
}

/** Columns of the paper in font A at normal size. */
export function paperColumns(width: PaperWidth): number {
  return PAPER[width].columns;
}

/**
 * Splits text into lines of at most `width` bytes, between characters. Newlines in the text start a
 * new line; words are not kept together (receipts are mostly Hanzi and numbers).
 */
export function wrapText(text: string, width: number, encoding: 'gbk' | 'gb18030'): Buffer[] {
  const lines: Buffer[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let parts: Buffer[] = [];
    let used = 0;
    for (const bytes of encodeChars(paragraph, encoding)) {
      if (used + bytes.length > width) {
        lines.push(Buffer.concat(parts));
        parts = [];
        used = 0;
      }
      parts.push(bytes);
      used += bytes.length;
    }
    lines.push(Buffer.concat(parts));
  }
  return lines;
}

/** A label and a right-aligned value on one line, or the label on its own line(s) then the value. */
export function pairLines(label: string, value: string, width: number, encoding: 'gbk' | 'gb18030'): Buffer[] {
  const valueLines = wrapText(value, width, encoding);
  const labelLines = wrapText(label, width, encoding);
  const lastValue = valueLines[valueLines.length - 1] ?? Buffer.alloc(0);
  const lastLabel = labelLines[labelLines.length - 1] ?? Buffer.alloc(0);
  if (valueLines.length === 1 && lastLabel.length + 1 + lastValue.length <= width) {
    const gap = Buffer.alloc(width - lastLabel.length - lastValue.length, 0x20);
    return [...labelLines.slice(0, -1), Buffer.concat([lastLabel, gap, lastValue])];
  }
  const right = valueLines.map((v) => Buffer.concat([Buffer.alloc(width - v.length, 0x20), v]));
  return [...labelLines, ...right];
}

/** CODE128 data for `GS k 73`: code set C for runs of ≥ 4 digits, B otherwise. Returns null for non-ASCII data. */
export function code128Data(data: string): Buffer | null {
  if (!/^[\x20-\x7e]+$/.test(data)) return null;
  const out: number[] = [];
  let set: 'B' | 'C' | null = null;
  let i = 0;
  while (i < data.length) {
    const run = /^\d+/.exec(data.slice(i))?.[0] ?? '';
    if (run.length >= 4) {
      const even = run.length - (run.length % 2);
      // An odd run: its first digit goes in code B so the rest pairs up.
      if (run.length % 2 === 1) {
        if (set !== 'B') out.push(0x7b, 0x42);
        set = 'B';
        out.push(data.charCodeAt(i));
        i += 1;
      }
      if (set !== 'C') out.push(0x7b, 0x43);
      set = 'C';
      for (let k = 0; k < even; k += 2) out.push(Number(data.slice(i + k, i + k + 2)));
      i += even;
      continue;
    }
    if (set !== 'B') out.push(0x7b, 0x42);
    set = 'B';
    const ch = data.charCodeAt(i);
    if (ch === 0x7b) out.push(0x7b, 0x7b);
    else out.push(ch);
    i += 1;
  }
  return Buffer.from(out);
}

/** Modules of a CODE128 symbol for encoded `GS k` data (start + symbols + check = 11 each, stop 13). */
export function code128Modules(encoded: Buffer): number {
  // The leading `{X` is the start character, a later `{X` a code-set switch, `{{` one `{` in code B:
  // each is one symbol, like every other byte. Plus the check symbol; the stop is 13 modules.
  let symbols = 0;
  for (let i = 0; i < encoded.length; i += 1) {
    if (encoded[i] === 0x7b) i += 1;
    symbols += 1;
  }
  return (symbols + 1) * 11 + 13;
}

const QUIET_ZONE_MODULES = 20;

/**
 * Bytes a model-2 QR holds in byte mode at error correction M, versions 1–40 (ISO/IEC 18004 table 7; a
 * test cross-checks it with the qrcode library). Byte mode is the worst case: a printer choosing
 * numeric or alphanumeric mode needs at most this version.
 */
export const QR_BYTES_M: readonly number[] = [
  14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452,
  1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331,
];

/** The hard limit of a model-2 QR (version 40, byte mode) per error-correction level. We print level M. */
export const QR_MAX_BYTES = { L: 2953, M: 2331, Q: 1663, H: 1273 } as const;

/** Quiet zone a QR needs on each side, in modules. */
const QR_QUIET_MODULES = 4;
/** Narrowest QR module we print: at 203 dpi, 3 dots ≈ 0.38 mm, about what a counter scanner still reads. */
const QR_MIN_MODULE_DOTS = 3;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * `GS ( k` commands for a model-2 QR, error correction M; null when the data cannot be one the printer
 * takes and a scanner reads: empty, not printable ASCII (the bytes of other text depend on the printer's
 * code page), over the model-2 limit for EC M, or a symbol too wide for the paper even at 3 dots a
 * module. The module size is the usual one (5 dots on 58 mm, 6 on 80 mm), smaller only when needed.
 */
export function qrCommands(data: string, paperWidth: PaperWidth): Buffer[] | null {
  if (!PRINTABLE_ASCII.test(data) || data.length > QR_MAX_BYTES.M) return null;
  const payload = Buffer.from(data, 'ascii');
  const version = QR_BYTES_M.findIndex((capacity) => payload.length <= capacity) + 1;
  const modules = 17 + 4 * version + 2 * QR_QUIET_MODULES;
  const preferred = paperWidth === 58 ? 5 : 6;
  const moduleSize = [6, 5, 4, 3].find((dots) => dots <= preferred && dots >= QR_MIN_MODULE_DOTS && modules * dots <= PAPER[paperWidth].dots);
  if (moduleSize === undefined) return null;
  const store = payload.length + 3;
  return [
    Buffer.from([GS, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]),
    Buffer.from([GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, moduleSize]),
    Buffer.from([GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31]),
    Buffer.concat([Buffer.from([GS, 0x28, 0x6b, store & 0xff, (store >> 8) & 0xff, 0x31, 0x50, 0x30]), payload]),
    Buffer.from([GS, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]),
  ];
}

/**
 * `GS h` height, `GS w` module width, `GS H 2` (text under the bars), `GS k 73 n data`. The module
 * width is the widest (2–3 dots) whose symbol plus quiet zones fits the paper; null when even 1 dot is
 * too wide (the QR still carries the code).
 */
export function barcodeCommands(data: string, paperWidth: PaperWidth): Buffer[] | null {
  const encoded = code128Data(data);
  if (encoded === null || encoded.length > 255) return null;
  const modules = code128Modules(encoded) + QUIET_ZONE_MODULES;
  const dots = PAPER[paperWidth].dots;
  const moduleWidth = [3, 2, 1].find((w) => modules * w <= dots);
  if (moduleWidth === undefined) return null;
  return [
    Buffer.from([GS, 0x68, 80]),
    Buffer.from([GS, 0x77, moduleWidth]),
    Buffer.from([GS, 0x48, 0x02]),
    Buffer.concat([Buffer.from([GS, 0x6b, 73, encoded.length]), encoded]),
  ];
}

/** The whole job: init, [drawer kick], [FS &], blocks, feed, [cut]. */
export function encodeReceipt(blocks: readonly ReceiptBlock[], options: ReceiptEncodeOptions): Buffer {
  const { paperWidth, encoding } = options;
  const columns = paperColumns(paperWidth);
  const out: Buffer[] = [cmd.init()];
  if (options.drawer?.enabled === true) out.push(cmd.drawerKick(options.drawer));
  if (options.chineseMode ?? true) out.push(cmd.chineseOn());
  const line = (bytes: Buffer): void => {
    out.push(bytes, Buffer.from([LF]));
  };
  const text = (block: Extract<ReceiptBlock, { kind: 'text' }>): void => {
    const big = block.big ?? false;
    const width = big ? Math.floor(columns / 2) : columns;
    out.push(cmd.align(block.align ?? 'left'));
    if (block.bold === true) out.push(cmd.bold(true));
    if (big) out.push(cmd.size(true));
    for (const l of wrapText(block.text, width, encoding)) line(l);
    if (big) out.push(cmd.size(false));
    if (block.bold === true) out.push(cmd.bold(false));
    out.push(cmd.align('left'));
  };
  /** A code the printer cannot draw: its data as text (the receipt still carries the reference). */
  const fallback = (block: { data: string; textFallback?: boolean }): void => {
    if (block.textFallback !== false) text({ kind: 'text', text: block.data, align: 'center' });
  };
  for (const block of blocks) {
    switch (block.kind) {
      case 'text':
        text(block);
        break;
      case 'pair': {
        const big = block.big ?? false;
        const width = big ? Math.floor(columns / 2) : columns;
        if (block.bold === true) out.push(cmd.bold(true));
        if (big) out.push(cmd.size(true));
        for (const l of pairLines(block.label, block.value, width, encoding)) line(l);
        if (big) out.push(cmd.size(false));
        if (block.bold === true) out.push(cmd.bold(false));
        break;
      }
      case 'rule':
        line(Buffer.alloc(columns, (block.char ?? '-').charCodeAt(0)));
        break;
      case 'qr':
      case 'barcode': {
        if (block.data === '') break;
        const commands = block.kind === 'qr' ? qrCommands(block.data, paperWidth) : barcodeCommands(block.data, paperWidth);
        if (commands === null) fallback(block);
        else out.push(cmd.align('center'), ...commands, Buffer.from([LF]), cmd.align('left'));
        break;
      }
      case 'feed':
        out.push(cmd.feed(block.lines));
        break;
    }
  }
  if (options.chineseMode ?? true) out.push(cmd.chineseOff());
  out.push(cmd.feed(options.feedLines ?? 4));
  const cut = options.cut ?? 'partial';
  if (cut !== 'none') out.push(cmd.cut(cut === 'partial'));
  return Buffer.concat(out);
}

/** A job that only opens the drawer (no-sale open, cash refunds without a receipt). */
export function encodeDrawerKick(drawer: Pick<DrawerConfig, 'pin' | 'onMs' | 'offMs'>): Buffer {
  return Buffer.concat([cmd.init(), cmd.drawerKick(drawer)]);
}

/** Status bytes of `DLE EOT 1`, `2` and `4` decoded (fixed bits ignored). */
export function decodeStatus(
  printer: number,
  offline: number,
  paper: number,
): { online: boolean; coverOpen: boolean; paperOut: boolean; paperNearEnd: boolean } {
  return {
    online: (printer & 0x08) === 0,
    coverOpen: (offline & 0x04) !== 0,
    paperOut: (paper & 0x60) !== 0 || (offline & 0x20) !== 0,
    paperNearEnd: (paper & 0x0c) !== 0,
  };
}
