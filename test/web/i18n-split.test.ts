import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counterEn } from '../../src/renderer/src/i18n/counter';
import { deskEn, deskZh } from '../../src/renderer/src/i18n/desk';
import { en } from '../../src/renderer/src/i18n/en';
import { hqEn, hqZh } from '../../src/renderer/src/i18n/hq';
import { manageEn, manageZh } from '../../src/renderer/src/i18n/manage';
import { receiptsEn, receiptsZh } from '../../src/renderer/src/i18n/receipts';
import { yimaEn, yimaZh } from '../../src/renderer/src/i18n/yima';
import { zh } from '../../src/renderer/src/i18n/zh';

const SRC = resolve(import.meta.dirname, '../../src/renderer/src');

/** The renderer files a page loads first: static imports from its entry, not `import()` (lazy screens). */
function firstLoadFiles(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [join(SRC, entry)];
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/^import\s+(?!type\b)(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]/gm)) {
      const base = resolve(dirname(file), m[1] ?? '');
      const hit = ['.ts', '.tsx', '/index.ts'].map((ext) => base + ext).find((p) => existsSync(p));
      if (hit !== undefined && hit.startsWith(SRC)) queue.push(hit);
    }
  }
  return [...seen];
}

const backOfficeZh: Record<string, string> = { ...deskZh, ...manageZh, ...receiptsZh, ...yimaZh, ...hqZh };
const core: Record<string, string> = zh;

describe('texts split: the back office loads its own (9.17)', () => {
  for (const entry of ['main.tsx', 'customer.ts']) {
    it(`${entry}: every text key its first load uses is in the core dictionary, none of the back office's`, () => {
      const files = firstLoadFiles(entry);
      expect(files.length).toBeGreaterThan(entry === 'main.tsx' ? 20 : 6);
      expect(files.some((f) => f.endsWith('i18n/back-office.ts'))).toBe(false);
      expect(files.some((f) => /screens\/(RefundDesk|Transactions|Reconciliation|Settings)\.tsx$/.test(f))).toBe(false);
      const missing: string[] = [];
      for (const file of files) {
        if (file.includes('/i18n/')) continue;
        const code = readFileSync(file, 'utf8');
        for (const m of code.matchAll(/['"`]([a-z]+(?:\.[\w-]+)+)['"`]/g)) {
          const key = m[1] ?? '';
          if (key in backOfficeZh && !(key in core)) missing.push(`${file.slice(SRC.length)}: ${key}`);
        }
        // Keys built at run time (`health.name.${name}`): every key with that prefix must be in the core.
        for (const m of code.matchAll(/`([a-z]+(?:\.[\w-]+)*\.)\$\{/g)) {
          const prefix = m[1] ?? '';
          for (const key of Object.keys(backOfficeZh))
            if (key.startsWith(prefix) && !(key in core)) missing.push(`${file.slice(SRC.length)}: ${prefix}… ${key}`);
        }
      }
      expect(missing).toEqual([]);
    });
  }

  it('every part has the same keys in zh and en', () => {
    for (const [zhPart, enPart] of [
      [zh, en],
      [deskZh, deskEn],
      [manageZh, manageEn],
      [receiptsZh, receiptsEn],
      [yimaZh, yimaEn],
      [hqZh, hqEn],
    ] as const) {
      expect(Object.keys(enPart).sort()).toEqual(Object.keys(zhPart).sort());
    }
    expect(Object.keys(counterEn).every((k) => k in en)).toBe(true);
  });
});
