import { describe, expect, it } from 'vitest';
import { deskEn, deskZh } from '../../src/renderer/src/i18n/desk';
import { en as coreEn } from '../../src/renderer/src/i18n/en';
import { manageEn, manageZh } from '../../src/renderer/src/i18n/manage';
import { receiptsEn, receiptsZh } from '../../src/renderer/src/i18n/receipts';
import { yimaEn, yimaZh } from '../../src/renderer/src/i18n/yima';
import { zh as coreZh } from '../../src/renderer/src/i18n/zh';

/** Every text: the core and the back office's parts. */
const zh: Record<string, string> = { ...coreZh, ...deskZh, ...manageZh, ...receiptsZh, ...yimaZh };
const en: Record<string, string> = { ...coreEn, ...deskEn, ...manageEn, ...receiptsEn, ...yimaEn };

describe('UI texts (9.15)', () => {
  it('English texts use ASCII punctuation (no Chinese colon, comma, brackets or full stop)', () => {
    // A quoted Chinese phrase (what the voice prompt says) is quoted, not punctuation of the English text.
    const bad = Object.entries(en).filter(([, v]) => /[：，（）。、；！？“”‘’【】]/.test(v.replace(/"[^"]*"/g, '')));
    expect(bad).toEqual([]);
  });

  it("one name for each order number across screens: 订单号 (ours, as on the receipt), 商户订单号 (the shop's own), 钱包交易单号 (the wallet's)", () => {
    const names = new Set(Object.values(zh).flatMap((v) => v.match(/(?:商户|商家|钱包)?(?:订单|交易)(?:编)?单?号/g) ?? []));
    expect([...names].sort()).toEqual(['商户订单号', '订单号', '钱包交易单号'].sort());
    const enNames = new Set(
      Object.values(en).flatMap((v) => v.match(/\b(?:merchant order|order|trade|wallet transaction|transaction) no\./gi)?.map((m) => m.toLowerCase()) ?? []),
    );
    expect([...enNames].sort()).toEqual(['merchant order no.', 'order no.', 'wallet transaction no.'].sort());
  });
});
