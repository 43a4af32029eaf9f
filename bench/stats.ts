import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(n < 10 ? 3 : 1) : 'n/a');

/** Writes a markdown table to bench-results/<name>.md (printed by scripts/bench.mjs). */
export function writeTable(name: string, title: string, header: string[], rows: (string | number)[][], notes: string[] = []): void {
  const dir = resolve(import.meta.dirname, '..', 'bench-results');
  mkdirSync(dir, { recursive: true });
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const text = [`### ${title}`, '', line(header), line(header.map(() => '---')), ...rows.map(line), '', ...notes.map((n) => `- ${n}`), ''].join('\n');
  writeFileSync(join(dir, `${name}.md`), text);
}
