/**
 * A small ESC/POS decoder: turns the bytes a receipt printer received back into text lines (GB18030
 * decoded, with their alignment / bold / size) and the commands between them. Used by the printer
 * stand-in (to answer `DLE EOT` and show what it "printed") and by the tests. Understands exactly the
 * commands of receipt-encoder.ts; any other byte below 0x20 is reported in `unknown`.
 */
import iconv from 'iconv-lite';

export interface DecodedLine {
  text: string;
  /** The raw text bytes of the line (without LF). */
  bytes: Buffer;
  align: 'left' | 'center' | 'right';
  bold: boolean;
  big: boolean;
}

export interface DecodedCommand {
  name: string;
  /** Offset of the command's first byte. */
  at: number;
  args: number[];
}

export interface DecodedReceipt {
  lines: DecodedLine[];
  commands: DecodedCommand[];
  qr: string[];
  barcodes: string[];
  cuts: ('full' | 'partial')[];
  drawerKicks: { pin: 2 | 5; onMs: number; offMs: number }[];
  /** `n` of every `DLE EOT n`, in order. */
  statusQueries: number[];
  /** Offsets of bytes that are no known command. */
  unknown: number[];
  /** Bytes fully decoded; a command cut off at the end of the input is left for the next call. */
  consumed: number;
  /** Number of `ESC @` seen (one per job from our encoder). */
  jobs: number;
}

/** Turns `GS k 73` data back into text (code sets B and C). */
export function decodeCode128(data: Buffer): string {
  let set: 'A' | 'B' | 'C' = 'B';
  let out = '';
  for (let i = 0; i < data.length; i += 1) {
    const b = data[i] ?? 0;
    if (b === 0x7b && i + 1 < data.length) {
      const next = data[i + 1] ?? 0;
      if (next === 0x41 || next === 0x42 || next === 0x43) {
        set = next === 0x41 ? 'A' : next === 0x42 ? 'B' : 'C';
        i += 1;
        continue;
      }
      if (next === 0x7b) {
        out += '{';
        i += 1;
        continue;
      }
    }
    out += set === 'C' ? String(b).padStart(2, '0') : String.fromCharCode(b);
  }
  return out;
}

export function decodeEscpos(input: Buffer): DecodedReceipt {
  const r: DecodedReceipt = { lines: [], commands: [], qr: [], barcodes: [], cuts: [], drawerKicks: [], statusQueries: [], unknown: [], consumed: 0, jobs: 0 };
  let align: DecodedLine['align'] = 'left';
  let bold = false;
  let big = false;
  let text: number[] = [];
  const flush = (): void => {
    const bytes = Buffer.from(text);
    r.lines.push({ text: iconv.decode(bytes, 'gb18030'), bytes, align, bold, big });
    text = [];
  };
  const at = (i: number): number => input[i] ?? -1;
  let i = 0;
  const push = (name: string, start: number, args: number[]): void => {
    r.commands.push({ name, at: start, args });
  };
  while (i < input.length) {
    const b = at(i);
    const start = i;
    const need = (n: number): boolean => i + n <= input.length;
    if (b === 0x0a) {
      flush();
      i += 1;
    } else if (b >= 0x20) {
      text.push(b);
      i += 1;
    } else if (b === 0x1b) {
      if (!need(2)) break;
      const c = at(i + 1);
      if (c === 0x40) {
        r.jobs += 1;
        align = 'left';
        bold = false;
        big = false;
        push('init', start, []);
        i += 2;
      } else if (c === 0x61 || c === 0x45 || c === 0x64) {
        if (!need(3)) break;
        const n = at(i + 2);
        if (c === 0x61) {
          align = n === 1 || n === 0x31 ? 'center' : n === 2 || n === 0x32 ? 'right' : 'left';
          push('align', start, [n]);
        } else if (c === 0x45) {
          bold = (n & 1) === 1;
          push('bold', start, [n]);
        } else {
          push('feed', start, [n]);
        }
        i += 3;
      } else if (c === 0x70) {
        if (!need(5)) break;
        const m = at(i + 2);
        r.drawerKicks.push({ pin: m === 0 || m === 0x30 ? 2 : 5, onMs: at(i + 3) * 2, offMs: at(i + 4) * 2 });
        push('drawer', start, [m, at(i + 3), at(i + 4)]);
        i += 5;
      } else {
        r.unknown.push(start);
        i += 1;
      }
    } else if (b === 0x1c) {
      if (!need(2)) break;
      const c = at(i + 1);
      if (c === 0x26 || c === 0x2e) {
        push(c === 0x26 ? 'chinese-on' : 'chinese-off', start, []);
        i += 2;
      } else {
        r.unknown.push(start);
        i += 1;
      }
    } else if (b === 0x1d) {
      if (!need(2)) break;
      const c = at(i + 1);
      if (c === 0x21 || c === 0x68 || c === 0x77 || c === 0x48) {
        if (!need(3)) break;
        const n = at(i + 2);
        if (c === 0x21) {
          big = n !== 0;
          push('size', start, [n]);
        } else {
          push(c === 0x68 ? 'barcode-height' : c === 0x77 ? 'barcode-width' : 'barcode-hri', start, [n]);
        }
        i += 3;
      } else if (c === 0x56) {
        if (!need(3)) break;
        const m = at(i + 2);
        r.cuts.push(m === 1 || m === 0x31 ? 'partial' : 'full');
        push('cut', start, [m]);
        i += 3;
      } else if (c === 0x28 && at(i + 2) === 0x6b) {
        if (!need(5)) break;
        const len = at(i + 3) + at(i + 4) * 256;
        if (!need(5 + len)) break;
        const body = input.subarray(i + 5, i + 5 + len);
        const fn = body[1] ?? 0;
        if (fn === 0x50) r.qr.push(body.subarray(3).toString('utf8'));
        push(`qr-${fn.toString(16)}`, start, [...body.subarray(0, Math.min(3, body.length))]);
        i += 5 + len;
      } else if (c === 0x6b) {
        if (!need(4)) break;
        const m = at(i + 2);
        const len = at(i + 3);
        if (m < 65) {
          r.unknown.push(start);
          i += 1;
          continue;
        }
        if (!need(4 + len)) break;
        if (m === 73) r.barcodes.push(decodeCode128(input.subarray(i + 4, i + 4 + len)));
        push('barcode', start, [m, len]);
        i += 4 + len;
      } else {
        r.unknown.push(start);
        i += 1;
      }
    } else if (b === 0x10) {
      if (!need(3)) break;
      if (at(i + 1) === 0x04) {
        r.statusQueries.push(at(i + 2));
        push('status', start, [at(i + 2)]);
        i += 3;
      } else {
        r.unknown.push(start);
        i += 1;
      }
    } else {
      r.unknown.push(start);
      i += 1;
    }
    r.consumed = i;
  }
  if (text.length > 0 && i >= input.length) {
    // An unterminated last line (no LF) still counts as printed text.
    flush();
  }
  return r;
}
