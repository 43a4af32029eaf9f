import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { writeTable } from './stats';

/**
 * Issue 9 item 17: what each page loads first, compressed, next to its target. "First load" is the
 * HTML plus every script and stylesheet it references (entry + modulepreload), followed through the
 * static imports of those scripts; the lazy back-office chunks are not part of it. Needs a build
 * (`npm run build`, which `npm test` does).
 */
const OUT = resolve(import.meta.dirname, '..', 'out', 'renderer');
const TARGETS = { 'index.html': 120 * 1024, 'customer.html': 60 * 1024 } as const;

function firstLoad(page: string): string[] {
  const html = readFileSync(join(OUT, page), 'utf8');
  const files = new Set<string>([page]);
  const queue = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? '');
  while (queue.length > 0) {
    const file = queue.shift() ?? '';
    if (file === '' || files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(join(OUT, file), 'utf8');
    // Static imports only (`import … from "./x.js"` / `import "./x.js"`); `import("./x.js")` is lazy.
    for (const m of code.matchAll(/(?:^|[;}\s])import\s*(?:[\w*${}\s,]+from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push(`assets/${m[1] ?? ''}`);
  }
  return [...files];
}

it('renderer first-load sizes (gzip and brotli) next to their targets', () => {
  const rows: (string | number)[][] = [];
  for (const [page, target] of Object.entries(TARGETS)) {
    const files = firstLoad(page);
    let raw = 0;
    let gz = 0;
    let br = 0;
    for (const file of files) {
      const body = readFileSync(join(OUT, file));
      raw += body.length;
      gz += gzipSync(body, { level: 9 }).length;
      br += brotliCompressSync(body).length;
    }
    const kb = (n: number): string => (n / 1024).toFixed(1);
    rows.push([page, files.length, kb(raw), kb(gz), kb(br), kb(target), gz <= target ? 'met' : 'NOT met']);
    expect(files.length).toBeGreaterThan(1);
  }
  writeTable('renderer-size', 'Renderer first load (KB)', ['page', 'files', 'raw', 'gzip', 'brotli', 'target (gzip)', 'result'], rows, [
    'first load = the HTML + its scripts and styles and their static imports; lazy back-office chunks excluded',
    'browser mode serves brotli or gzip by Accept-Encoding; hashed assets are cached as immutable',
  ]);
});
