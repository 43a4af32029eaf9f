// `npm run bench`: runs bench/*.bench.ts (vitest project "bench"), which measure side by side in one run
// and write bench-results/*.md; this prints them. Not part of `npm test` (numbers, not pass/fail).
// Headquarters' scale run is separate: `npm run bench:hq`.
//
// `npm run bench -- --readme` also writes each table this run produced into README.md, between its
// markers `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` (NAME = the bench-results file), with the date,
// the machine and its load; tables the run did not produce stay as they were. So the README shows
// exactly what a run printed, and says when.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const args = process.argv.slice(2);
const readme = args.includes('--readme');
const vitestArgs = args.filter((a) => a !== '--readme');
const loadBefore = loadavg()[0];
const started = Date.now();
const r = spawnSync(join(root, 'node_modules', '.bin', 'vitest'), ['run', '--project', 'bench', '--exclude', 'bench/hq.bench.ts', ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
});
const loadAfter = loadavg()[0];
const files = readdirSync(out)
  .filter((f) => f.endsWith('.md'))
  .sort();
const tables = files.map((f) => readFileSync(join(out, f), 'utf8').trim());
for (const t of tables) process.stdout.write(`\n${t}\n`);

if (readme && r.status === 0) {
  const file = join(root, 'README.md');
  let text = readFileSync(file, 'utf8');
  const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`;
  const when = new Date().toISOString().slice(0, 10);
  const written = [];
  for (const f of files) {
    if (statSync(join(out, f)).mtimeMs < started) continue;
    const name = f.replace(/\.md$/, '');
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const a = text.indexOf(open);
    const b = text.indexOf(close);
    if (a === -1 || b < a) {
      process.stderr.write(`README.md has no ${open} … ${close} block; ${f} not written\n`);
      continue;
    }
    const table = readFileSync(join(out, f), 'utf8').trim().replace(/^### /, '#### ');
    const block = [open, `<!-- written by \`npm run bench -- --readme\` on ${when} (${machine}); do not edit by hand -->`, '', table, '', close].join('\n');
    text = text.slice(0, a) + block + text.slice(b + close.length);
    written.push(name);
  }
  writeFileSync(file, text);
  process.stdout.write(`\nREADME.md: ${written.length === 0 ? 'no table written' : written.join(', ')}\n`);
}
process.exitCode = r.status ?? 1; // not process.exit(): the tables above may still be on their way into a pipe
