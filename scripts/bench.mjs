// `npm run bench`: runs bench/*.bench.ts (vitest project "bench"), which measure side by side in one run
// and write bench-results/*.md; this prints them. Not part of `npm test` (numbers, not pass/fail).
// Headquarters' scale run is separate: `npm run bench:hq`.
//
// `npm run bench -- --readme` also writes the tables into README.md between the markers
// `<!-- bench:start -->` and `<!-- bench:end -->` (every bench-results/*.md, hq.md included when a
// `bench:hq` run left one), with the date, the machine and its load, so the README shows exactly what
// the last run printed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const args = process.argv.slice(2);
const readme = args.includes('--readme');
const vitestArgs = args.filter((a) => a !== '--readme');
const loadBefore = loadavg()[0];
const r = spawnSync(join(root, 'node_modules', '.bin', 'vitest'), ['run', '--project', 'bench', '--exclude', 'bench/hq.bench.ts', ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
});
const loadAfter = loadavg()[0];
/** The order the README shows them in; any other table follows. */
const ORDER = ['checkout', 'detection', 'ledger', 'renderer-size', 'renderer-latency', 'sync-overhead', 'hq'];
const rank = (f) => {
  const i = ORDER.indexOf(f.replace(/\.md$/, ''));
  return i === -1 ? ORDER.length : i;
};
const files = readdirSync(out)
  .filter((f) => f.endsWith('.md'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const tables = files.map((f) => readFileSync(join(out, f), 'utf8').trim());
for (const t of tables) process.stdout.write(`\n${t}\n`);

if (readme && r.status === 0) {
  const file = join(root, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b < a) {
    process.stderr.write('README.md has no bench markers; nothing written\n');
    process.exit(1);
  }
  const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`;
  const when = new Date().toISOString().slice(0, 10);
  const body = [
    start,
    `<!-- written by \`npm run bench -- --readme\`; do not edit by hand -->`,
    '',
    `Last run: ${when}, ${machine}.`,
    '',
    ...tables.map((t) => t.replace(/^### /, '#### ')).flatMap((t) => [t, '']),
    end,
  ].join('\n');
  writeFileSync(file, text.slice(0, a) + body + text.slice(b + end.length));
  process.stdout.write(`\nREADME.md: ${tables.length} tables written${existsSync(join(out, 'hq.md')) ? ' (hq.md from the last bench:hq run)' : ''}\n`);
}
process.exit(r.status ?? 1);
