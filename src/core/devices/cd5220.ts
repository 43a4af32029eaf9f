/**
 * CD5220-style 2×20 VFDs (VFD220, PD220 and clones), digest §1b. These units enter "string mode"
 * after `1B 51 41/42` and ignore most commands until `0C` or `18`, so every screen is drawn the same
 * way: clear, then both whole lines, each exactly 20 cells. Never send LED-8 lamp commands here: on
 * CD5220 `1B 73 01` saves user characters to EEPROM.
 */
import type { DisplayTextEncoding, HanziMode } from '../../shared/devices';
import type { DisplayEncoder, DisplayView } from './display-types';
import { viewLines } from './lines';

export const VFD_WIDTH = 20;

/** `1B 40` initialise. */
export function cd5220Init(): Buffer {
  return Buffer.from([0x1b, 0x40]);
}

/** `0C` clear screen (also leaves string mode). */
export function cd5220Clear(): Buffer {
  return Buffer.from([0x0c]);
}

/** `1C 26`: enter double-byte (Hanzi) mode on Chinese clones. */
export function hanziModeOn(): Buffer {
  return Buffer.from([0x1c, 0x26]);
}

function exact20(line: Buffer): Buffer {
  if (line.length !== VFD_WIDTH) throw new RangeError(`a VFD line must be ${VFD_WIDTH} bytes, got ${line.length}`);
  return line;
}

/** `1B 51 41` + 20 bytes + `0D`: the whole upper line. Throws RangeError unless exactly 20 bytes. */
export function cd5220UpperLine(line: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x1b, 0x51, 0x41]), exact20(line), Buffer.from([0x0d])]);
}

/** `1B 51 42` + 20 bytes + `0D`: the whole lower line. Throws RangeError unless exactly 20 bytes. */
export function cd5220LowerLine(line: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x1b, 0x51, 0x42]), exact20(line), Buffer.from([0x0d])]);
}

export interface VfdOptions {
  encoding?: DisplayTextEncoding;
  hanziMode?: HanziMode;
}

/** CD5220 encoder: idle → `0C`; other views → `0C` [`1C 26`] upper line, lower line. */
export function createCd5220Encoder(options: VfdOptions = {}): DisplayEncoder {
  const encoding = options.encoding ?? 'ascii';
  const hanzi = encoding !== 'ascii' && (options.hanziMode ?? 'fs') === 'fs';
  return {
    init: () => [cd5220Init()],
    render: (view: DisplayView) => {
      if (view.kind === 'idle') return [cd5220Clear()];
      const [upper, lower] = viewLines(view, encoding, VFD_WIDTH, 2);
      const cmds = [cd5220Clear()];
      if (hanzi) cmds.push(hanziModeOn());
      cmds.push(cd5220UpperLine(upper ?? Buffer.alloc(VFD_WIDTH, 0x20)), cd5220LowerLine(lower ?? Buffer.alloc(VFD_WIDTH, 0x20)));
      return cmds;
    },
  };
}
