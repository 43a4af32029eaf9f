/** What an LED-8 pole display shows after a byte stream (ASCII lamp variant): digits and the lit lamp. */
export function led8Screen(bytes: Buffer): { digits: string; lamp: string } {
  const lamps: Record<number, string> = { 0x30: 'off', 0x31: '单价', 0x32: '总计', 0x33: '收款', 0x34: '找零' };
  let digits = '';
  let lamp = 'off';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b === 0x1b && bytes[i + 1] === 0x40) {
      digits = '';
      lamp = 'off';
      i += 2;
    } else if (b === 0x0c) {
      digits = '';
      i += 1;
    } else if (b === 0x1b && bytes[i + 1] === 0x73) {
      lamp = lamps[bytes[i + 2] ?? 0] ?? '?';
      i += 3;
    } else if (b === 0x1b && bytes[i + 1] === 0x51 && bytes[i + 2] === 0x41) {
      const end = bytes.indexOf(0x0d, i + 3);
      if (end < 0) break;
      digits = bytes.subarray(i + 3, end).toString('ascii');
      i = end + 1;
    } else {
      i += 1;
    }
  }
  return { digits, lamp };
}
