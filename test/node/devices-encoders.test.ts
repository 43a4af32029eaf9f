import { describe, expect, it } from 'vitest';
import { CustomDisplayTemplateSchema, PoleDisplayConfigSchema, defaultBaudRate, templateProblem } from '../../src/shared/devices';
import { composeLine, encodeText, fitCells, textWidth } from '../../src/core/devices/text';
import { createLed8Encoder, led8AmountText, led8Lamp, led8Number } from '../../src/core/devices/led8';
import { cd5220LowerLine, cd5220UpperLine, createCd5220Encoder } from '../../src/core/devices/cd5220';
import { createEscposEncoder } from '../../src/core/devices/escpos';
import { createCustomEncoder, parseTemplate } from '../../src/core/devices/custom';
import { createDisplayEncoder } from '../../src/core/devices/encoders';
import { expectAppError } from '../support/errors';

const hex = (b: Buffer): string =>
  b
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');
const hexList = (bs: Buffer[]): string[] => bs.map(hex);
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const bytes = (...parts: (number[] | Buffer | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? ascii(p) : Buffer.isBuffer(p) ? p : Buffer.from(p))));

describe('text encoding and width', () => {
  it('ascii replaces non-ASCII and control characters with ?', () => {
    expect(encodeText('A总\x0cB€', 'ascii')).toEqual(ascii('A??B?'));
  });

  it('gbk measures a Hanzi as two cells', () => {
    expect(encodeText('总计', 'gbk')).toEqual(Buffer.from([0xd7, 0xdc, 0xbc, 0xc6]));
    expect(textWidth('A总计', 'gbk')).toBe(5);
    expect(textWidth('A总计', 'ascii')).toBe(3);
  });

  it('never cuts a double-byte character when truncating', () => {
    // 'AB' + 总 (2 bytes) does not fit in 3 cells: 总 is dropped whole and the cell padded.
    expect(fitCells('AB总计', 3, 'gbk')).toEqual(bytes('AB', [0x20]));
    expect(fitCells('总计总计', 5, 'gbk')).toEqual(Buffer.from([0xd7, 0xdc, 0xbc, 0xc6, 0x20]));
    // gb18030 four-byte character (emoji) is also kept whole or dropped whole.
    expect(fitCells('A😀', 4, 'gb18030')).toEqual(bytes('A   '));
    expect(fitCells('A😀', 5, 'gb18030')).toEqual(bytes('A', [0x94, 0x39, 0xfc, 0x36]));
  });

  it('pads left or right to exactly the width', () => {
    expect(fitCells('12', 5, 'ascii', 'right')).toEqual(ascii('   12'));
    expect(fitCells('12', 5, 'ascii')).toEqual(ascii('12   '));
  });

  it('composeLine keeps the amount whole and shortens the label', () => {
    expect(composeLine('TOTAL', '128.50', 20, 'ascii')).toEqual(ascii('TOTAL         128.50'));
    expect(composeLine('总计', '128.50', 20, 'gbk')).toEqual(bytes([0xd7, 0xdc, 0xbc, 0xc6], '          128.50'));
    // 9 cells: amount 6 + 1 space leaves 2 cells: one Hanzi fits, the second does not.
    expect(composeLine('总计', '128.50', 9, 'gbk')).toEqual(bytes([0xd7, 0xdc], ' 128.50'));
    expect(composeLine('总计', '128.50', 8, 'gbk')).toEqual(ascii('  128.50'));
  });
});

describe('LED-8 encoder', () => {
  it('total 128.50 is 1B 73 32 then 1B 51 41 "128.50" 0D (digest example)', () => {
    const cmds = createLed8Encoder().render({ kind: 'total', amountFen: 12850 });
    expect(hexList(cmds)).toEqual(['1B 73 32', '1B 51 41 31 32 38 2E 35 30 0D']);
  });

  it('idle clears and turns the lamps off; paid and change light their lamps', () => {
    const enc = createLed8Encoder();
    expect(hexList(enc.render({ kind: 'idle' }))).toEqual(['0C', '1B 73 30']);
    expect(hexList(enc.render({ kind: 'paid', amountFen: 100 }))).toEqual(['1B 73 33', '1B 51 41 31 2E 30 30 0D']);
    expect(hexList(enc.render({ kind: 'change', amountFen: 5 }))).toEqual(['1B 73 34', '1B 51 41 30 2E 30 35 0D']);
    expect(hexList(enc.init())).toEqual(['1B 40']);
  });

  it('test shows 12345.67 with the total lamp', () => {
    expect(hexList(createLed8Encoder().render({ kind: 'test' }))).toEqual(['1B 73 32', hex(bytes([0x1b, 0x51, 0x41], '12345.67', [0x0d]))]);
  });

  it('lamp variants', () => {
    expect(hex(led8Lamp('off', 'ascii'))).toBe('1B 73 30');
    expect(hex(led8Lamp('price', 'ascii'))).toBe('1B 73 31');
    expect(hex(led8Lamp('change', 'binary'))).toBe('1B 73 04');
    expect(hex(led8Lamp('total', 'binary'))).toBe('1B 73 02');
    expect(hex(led8Lamp('total', 'four-byte'))).toBe('1B 73 03 01');
    expect(hex(led8Lamp('off', 'four-byte'))).toBe('1B 73 01 01');
    expect(hex(led8Lamp('paid', 'bare'))).toBe('33');
    expect(hexList(createLed8Encoder({ lampVariant: 'binary' }).render({ kind: 'total', amountFen: 1 }))[0]).toBe('1B 73 02');
  });

  it('overflow: the dot takes no cell, cents dropped, then 99999999, minus kept', () => {
    expect(led8AmountText(1_234_567)).toBe('12345.67'); // 7 digits
    expect(led8AmountText(123_456_78)).toBe('123456.78'); // 8 digits, fits
    expect(led8AmountText(1_234_567_890)).toBe('12345678'); // 10 digits → cents dropped, truncated
    expect(led8AmountText(1_234_567_899)).toBe('12345678'); // never rounded up
    expect(led8AmountText(12_345_678_900)).toBe('99999999'); // 9 whole digits
    expect(led8AmountText(-12_345)).toBe('-123.45');
    expect(led8AmountText(-123_456_789)).toBe('-1234567'); // minus takes a cell
    expect(led8AmountText(-1_234_567_800)).toBe('-9999999');
    expect(led8AmountText(0)).toBe('0.00');
  });

  it('overflow with units that spend a cell on the dot', () => {
    expect(led8AmountText(1_234_567, true)).toBe('12345.67'); // 7 digits + dot = 8 cells
    expect(led8AmountText(12_345_678, true)).toBe('123456'); // 9 cells → cents dropped
    const cmds = createLed8Encoder({ dotTakesCell: true }).render({ kind: 'total', amountFen: 12_345_678 });
    expect(cmds[1]).toEqual(bytes([0x1b, 0x51, 0x41], '123456', [0x0d]));
  });

  it('refuses anything but digits, dot and minus', () => {
    expect(() => led8Number('12A')).toThrow(RangeError);
  });
});

describe('CD5220 encoder', () => {
  const blank = ' '.repeat(20);

  it('total: clear, then both whole lines padded to exactly 20 cells', () => {
    const cmds = createCd5220Encoder().render({ kind: 'total', amountFen: 12850 });
    expect(cmds).toEqual([Buffer.from([0x0c]), bytes([0x1b, 0x51, 0x41], 'TOTAL', ' '.repeat(9), '128.50', [0x0d]), bytes([0x1b, 0x51, 0x42], blank, [0x0d])]);
    expect(cmds[1]!.length).toBe(3 + 20 + 1);
  });

  it('paid in ascii shows PAID and THANK YOU', () => {
    const cmds = createCd5220Encoder().render({ kind: 'paid', amountFen: 999_999 });
    expect(cmds[1]).toEqual(bytes([0x1b, 0x51, 0x41], 'PAID', ' '.repeat(9), '9999.99', [0x0d]));
    expect(cmds[2]).toEqual(bytes([0x1b, 0x51, 0x42], 'THANK YOU', ' '.repeat(11), [0x0d]));
  });

  it('gbk: Hanzi mode, 收款 and 谢谢惠顾, still 20 bytes per line', () => {
    const cmds = createCd5220Encoder({ encoding: 'gbk' }).render({ kind: 'paid', amountFen: 12850 });
    expect(cmds).toEqual([
      Buffer.from([0x0c]),
      Buffer.from([0x1c, 0x26]),
      bytes([0x1b, 0x51, 0x41], [0xca, 0xd5, 0xbf, 0xee], ' '.repeat(10), '128.50', [0x0d]),
      bytes([0x1b, 0x51, 0x42], [0xd0, 0xbb, 0xd0, 0xbb, 0xbb, 0xdd, 0xb9, 0xcb], ' '.repeat(12), [0x0d]),
    ]);
    const noFs = createCd5220Encoder({ encoding: 'gbk', hanziMode: 'none' }).render({ kind: 'total', amountFen: 1 });
    expect(noFs.map(hex)).not.toContain('1C 26');
  });

  it('idle is a clear; init is ESC @; line writers insist on 20 bytes', () => {
    const enc = createCd5220Encoder();
    expect(hexList(enc.render({ kind: 'idle' }))).toEqual(['0C']);
    expect(hexList(enc.init())).toEqual(['1B 40']);
    expect(() => cd5220UpperLine(ascii('short'))).toThrow(RangeError);
    expect(() => cd5220LowerLine(ascii(' '.repeat(21)))).toThrow(RangeError);
  });

  it('never sends an LED lamp command (1B 73) to a VFD', () => {
    const enc = createCd5220Encoder();
    for (const view of [{ kind: 'idle' }, { kind: 'test' }, { kind: 'total', amountFen: 1 }, { kind: 'paid', amountFen: 1 }] as const) {
      for (const cmd of enc.render(view)) expect(cmd.subarray(0, 2).equals(Buffer.from([0x1b, 0x73]))).toBe(false);
    }
  });
});

describe('Epson ESC/POS (DM-D) encoder', () => {
  it('clear, home + upper line, 1F 24 01 02 + lower line', () => {
    const cmds = createEscposEncoder().render({ kind: 'change', amountFen: 150 });
    expect(cmds).toEqual([Buffer.from([0x0c]), bytes([0x0b], 'CHANGE', ' '.repeat(10), '1.50'), bytes([0x1f, 0x24, 0x01, 0x02], ' '.repeat(20))]);
    expect(hexList(createEscposEncoder().init())).toEqual(['1B 40']);
  });

  it('test screen shows 12345.67 and a width pattern', () => {
    const cmds = createEscposEncoder().render({ kind: 'test' });
    expect(cmds[1]).toEqual(bytes([0x0b], 'TEST', ' '.repeat(8), '12345.67'));
    expect(cmds[2]).toEqual(bytes([0x1f, 0x24, 0x01, 0x02], '0123456789ABCDEFGHIJ'));
  });
});

describe('custom template driver', () => {
  const template = CustomDisplayTemplateSchema.parse({
    init: '1B 40',
    clear: '0C',
    showLine: '1B 6C 01 {row} {text}',
    lineWidth: 10,
  });

  it('fills placeholders with the encoded line and row', () => {
    const enc = createCustomEncoder(template);
    expect(enc.init()).toEqual([Buffer.from([0x1b, 0x40])]);
    expect(enc.render({ kind: 'total', amountFen: 12850 })).toEqual([
      Buffer.from([0x0c]),
      bytes([0x1b, 0x6c, 0x01, 0x01], 'TOT 128.50'),
      bytes([0x1b, 0x6c, 0x01, 0x02], ' '.repeat(10)),
    ]);
  });

  it('showAmount replaces lines for digit-only units; rowLetter and amount placeholders', () => {
    const enc = createCustomEncoder({ ...template, showAmount: '1B 51 41 {amount} 0D' });
    expect(enc.render({ kind: 'paid', amountFen: 12850 })).toEqual([Buffer.from([0x0c]), bytes([0x1b, 0x51, 0x41], '128.50', [0x0d])]);
    const parts = parseTemplate('custom.showLine', '1B 51 {rowLetter}{text}0D');
    expect(parts.map((p) => (p.kind === 'bytes' ? hex(p.bytes) : `{${p.name}}`))).toEqual(['1B 51', '{rowLetter}', '{text}', '0D']);
  });

  it('bad hex fails with CONFIG_INVALID naming the field', () => {
    expectAppError(() => createCustomEncoder({ ...template, showLine: '1B 6 {text}' }), 'CONFIG_INVALID', 'custom.showLine');
    expectAppError(() => createCustomEncoder({ ...template, clear: '0G' }), 'CONFIG_INVALID', 'custom.clear');
    expectAppError(() => createCustomEncoder({ ...template, init: '1B {text}' }), 'CONFIG_INVALID', 'custom.init');
    expectAppError(() => createCustomEncoder({ ...template, showLine: '1B {txt}' }), 'CONFIG_INVALID', 'custom.showLine');
    expectAppError(() => createCustomEncoder({ ...template, showAmount: '1B {text}' }), 'CONFIG_INVALID', 'custom.showAmount');
    expect(templateProblem('1B 6C {row')).toMatch(/unclosed/);
    expect(templateProblem('1b6c{row}{text}0d')).toBeNull();
  });

  it('the settings schema rejects bad templates and a custom protocol without them', () => {
    const bad = PoleDisplayConfigSchema.safeParse({
      protocol: 'custom',
      path: '/dev/ttyUSB0',
      custom: { clear: '0C', showLine: 'ZZ' },
    });
    expect(bad.success).toBe(false);
    expect(PoleDisplayConfigSchema.safeParse({ protocol: 'custom', path: 'COM3' }).success).toBe(false);
    expectAppError(
      () => createDisplayEncoder({ ...PoleDisplayConfigSchema.parse({ protocol: 'led8', path: 'COM3' }), protocol: 'custom' }),
      'CONFIG_INVALID',
      'custom',
    );
  });
});

describe('display config schema', () => {
  it('fills defaults; baud follows the protocol', () => {
    const led = PoleDisplayConfigSchema.parse({ protocol: 'led8', path: 'COM3' });
    expect(led).toMatchObject({ dataBits: 8, stopBits: 1, parity: 'none', encoding: 'ascii', lampVariant: 'ascii', interCommandDelayMs: 0 });
    expect(defaultBaudRate('led8')).toBe(2400);
    expect(defaultBaudRate('cd5220')).toBe(9600);
    expect(PoleDisplayConfigSchema.safeParse({ protocol: 'led8', path: 'COM3', interCommandDelayMs: 151 }).success).toBe(false);
  });

  it('createDisplayEncoder picks the protocol', () => {
    const cfg = PoleDisplayConfigSchema.parse({ protocol: 'escpos', path: 'COM3' });
    expect(createDisplayEncoder(cfg).render({ kind: 'total', amountFen: 1 })[1]![0]).toBe(0x0b);
    const led = PoleDisplayConfigSchema.parse({ protocol: 'led8', path: 'COM3', lampVariant: 'bare' });
    expect(hexList(createDisplayEncoder(led).render({ kind: 'total', amountFen: 1 }))[0]).toBe('32');
  });
});
