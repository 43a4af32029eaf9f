/**
 * What a display encoder is asked to draw. Each encoder turns a view into a list of commands; the
 * driver writes them one by one so it can pause between commands for slow units.
 */

/** Lamp names of LED-8 units (单价 price, 总计 total, 收款 paid, 找零 change). */
export type Lamp = 'off' | 'price' | 'total' | 'paid' | 'change';

export type AmountViewKind = 'price' | 'total' | 'paid' | 'change';

export type DisplayView = { kind: 'idle' } | { kind: AmountViewKind; amountFen: number } | { kind: 'test' };

/** The amount the "test display" button shows. */
export const TEST_AMOUNT_FEN = 1_234_567;

export interface DisplayEncoder {
  /** Commands sent after every (re)open, before the current view is drawn again. */
  init(): Buffer[];
  /** Commands that draw the view from scratch; each element is one command. Pure. */
  render(view: DisplayView): Buffer[];
}
