/**
 * The words a two-line character display shows. ASCII displays get English words (a plain 5×7 VFD
 * cannot draw Hanzi); GBK/GB18030 displays get Chinese ones. Amounts are right-aligned.
 */
import { formatFen } from '../../shared/money';
import type { DisplayTextEncoding } from '../../shared/devices';
import type { DisplayView } from './display-types';
import { TEST_AMOUNT_FEN } from './display-types';
import { composeLine, fitCells } from './text';

interface Words {
  price: string;
  total: string;
  paid: string;
  change: string;
  test: string;
  thanks: string;
}

const ENGLISH: Words = { price: 'PRICE', total: 'TOTAL', paid: 'PAID', change: 'CHANGE', test: 'TEST', thanks: 'THANK YOU' };
const CHINESE: Words = { price: '单价', total: '总计', paid: '收款', change: '找零', test: '测试', thanks: '谢谢惠顾' };

/** Lower line of the test screen: shows at a glance whether the width and alignment are right. */
export const TEST_PATTERN = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The lines (each exactly `width` cells, encoded) for a view. `idle` gives blank lines. `rows` lines
 * are returned; lines past the second are blank.
 */
export function viewLines(view: DisplayView, encoding: DisplayTextEncoding, width = 20, rows = 2): Buffer[] {
  const words = encoding === 'ascii' ? ENGLISH : CHINESE;
  let texts: Buffer[];
  switch (view.kind) {
    case 'idle':
      texts = [];
      break;
    case 'test':
      texts = [composeLine(words.test, formatFen(TEST_AMOUNT_FEN), width, encoding), fitCells(TEST_PATTERN, width, encoding)];
      break;
    case 'paid':
      texts = [composeLine(words.paid, formatFen(view.amountFen), width, encoding), fitCells(words.thanks, width, encoding)];
      break;
    default:
      texts = [composeLine(words[view.kind], formatFen(view.amountFen), width, encoding)];
  }
  const out: Buffer[] = [];
  for (let row = 0; row < rows; row += 1) out.push(texts[row] ?? fitCells('', width, encoding));
  return out;
}
