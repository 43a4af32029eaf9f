/**
 * Epson ESC/POS customer displays (DM-D and clones), digest §1b: no whole-line command, so lines are
 * written by positioning the cursor (`0B` home for the upper line, `1F 24 01 02` for the lower one)
 * and sending exactly 20 cells.
 */
import type { DisplayEncoder, DisplayView } from './display-types';
import type { VfdOptions } from './cd5220';
import { VFD_WIDTH, hanziModeOn } from './cd5220';
import { viewLines } from './lines';

/** `1B 40` initialise. */
export function escposInit(): Buffer {
  return Buffer.from([0x1b, 0x40]);
}

/** `0C` clear screen. */
export function escposClear(): Buffer {
  return Buffer.from([0x0c]);
}

function exact20(line: Buffer): Buffer {
  if (line.length !== VFD_WIDTH) throw new RangeError(`a VFD line must be ${VFD_WIDTH} bytes, got ${line.length}`);
  return line;
}

/** `0B` (home) + 20 bytes. Throws RangeError unless exactly 20 bytes. */
export function escposUpperLine(line: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x0b]), exact20(line)]);
}

/** `1F 24 01 02` (column 1, row 2) + 20 bytes. Throws RangeError unless exactly 20 bytes. */
export function escposLowerLine(line: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x1f, 0x24, 0x01, 0x02]), exact20(line)]);
}

/** ESC/POS encoder: idle → `0C`; other views → `0C` [`1C 26`] home+upper, position+lower. */
export function createEscposEncoder(options: VfdOptions = {}): DisplayEncoder {
  const encoding = options.encoding ?? 'ascii';
  const hanzi = encoding !== 'ascii' && (options.hanziMode ?? 'fs') === 'fs';
  return {
    init: () => [escposInit()],
    render: (view: DisplayView) => {
      if (view.kind === 'idle') return [escposClear()];
      const [upper, lower] = viewLines(view, encoding, VFD_WIDTH, 2);
      const cmds = [escposClear()];
      if (hanzi) cmds.push(hanziModeOn());
      cmds.push(escposUpperLine(upper ?? Buffer.alloc(VFD_WIDTH, 0x20)), escposLowerLine(lower ?? Buffer.alloc(VFD_WIDTH, 0x20)));
      return cmds;
    },
  };
}
