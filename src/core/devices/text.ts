/**
 * Display text encoding. Width is measured in bytes because character displays give every byte one
 * cell: a GBK Hanzi is two cells. Truncation happens between characters, never inside one, so a
 * double-byte character is never cut in half (half a Hanzi shows as garbage and desynchronises the
 * rest of the line).
 */
import iconv from 'iconv-lite';
import type { DisplayTextEncoding } from '../../shared/devices';

const QUESTION = 0x3f;
const SPACE = 0x20;

/**
 * Encodes each character (code point) separately: `ascii` keeps printable ASCII and turns everything
 * else into `?`; `gbk`/`gb18030` use iconv-lite (unmappable characters become `?`). Control characters
 * always become `?` so user text can never smuggle a display command (e.g. `0C` clear) onto the wire.
 */
export function encodeChars(text: string, encoding: DisplayTextEncoding): Buffer[] {
  const out: Buffer[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? QUESTION;
    if (cp < 0x20 || cp === 0x7f) {
      out.push(Buffer.from([QUESTION]));
    } else if (cp < 0x80) {
      out.push(Buffer.from([cp]));
    } else if (encoding === 'ascii') {
      out.push(Buffer.from([QUESTION]));
    } else {
      const bytes = iconv.encode(ch, encoding);
      out.push(bytes.length === 0 ? Buffer.from([QUESTION]) : bytes);
    }
  }
  return out;
}

/** The whole text encoded; see `encodeChars`. */
export function encodeText(text: string, encoding: DisplayTextEncoding): Buffer {
  return Buffer.concat(encodeChars(text, encoding));
}

/** Width of the text in display cells (= encoded bytes). */
export function textWidth(text: string, encoding: DisplayTextEncoding): number {
  return encodeText(text, encoding).length;
}

/** Takes whole characters while they fit in `width` cells; the result may be shorter than `width`. */
function takeFitting(chars: Buffer[], width: number): Buffer {
  const parts: Buffer[] = [];
  let used = 0;
  for (const bytes of chars) {
    if (used + bytes.length > width) break;
    parts.push(bytes);
    used += bytes.length;
  }
  return Buffer.concat(parts);
}

/**
 * Exactly `width` cells: the text truncated at a character boundary, padded with spaces on the right
 * (`left` alignment) or on the left (`right`). A double-byte character that would straddle the edge is
 * dropped and its cell filled with a space.
 */
export function fitCells(text: string, width: number, encoding: DisplayTextEncoding, align: 'left' | 'right' = 'left'): Buffer {
  const body = takeFitting(encodeChars(text, encoding), width);
  const pad = Buffer.alloc(width - body.length, SPACE);
  return align === 'left' ? Buffer.concat([body, pad]) : Buffer.concat([pad, body]);
}

/**
 * One display line of exactly `width` cells: `label` on the left, `value` right-aligned. The value
 * (an amount) always wins: the label is shortened first, and at least one space separates them when
 * both are present.
 */
export function composeLine(label: string, value: string, width: number, encoding: DisplayTextEncoding): Buffer {
  const valueBytes = takeFitting(encodeChars(value, encoding), width);
  const room = valueBytes.length === 0 ? width : Math.max(0, width - valueBytes.length - 1);
  const labelBytes = takeFitting(encodeChars(label, encoding), room);
  const gap = Buffer.alloc(width - labelBytes.length - valueBytes.length, SPACE);
  return Buffer.concat([labelBytes, gap, valueBytes]);
}
