// `npm run bench`: runs bench/*.bench.ts (vitest project "bench"), which measure side by side in one run
// and write bench-results/*.md; this prints them. Not part of `npm test` (numbers, not pass/fail).
// Headquarters' scale run is separate: `npm run bench:hq`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'bench-results');
mkdirSync(out, { recursive: true });
const r = spawnSync(join(root, 'node_modules', '.bin', 'vitest'), ['run', '--project', 'bench', '--exclude', 'bench/hq.bench.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const file of readdirSync(out)
  .filter((f) => f.endsWith('.md'))
  .sort()) {
  process.stdout.write(`\n${readFileSync(join(out, file), 'utf8')}\n`);
}
process.exit(r.status ?? 1);
