// Runs one of the built entries (out/main/<name>.js) with the project's Node, building first when any of
// `needs` (paths under out/) is missing or CASHIER_REBUILD=1. Arguments after `--` go to the entry; the
// working directory stays the caller's; SIGINT / SIGTERM are passed on; the entry's exit code is ours.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

export function runBuilt(name, needs = []) {
  const entry = join(root, 'out', 'main', `${name}.js`);
  const missing = [entry, ...needs.map((n) => join(root, 'out', n))].some((f) => !existsSync(f));
  if (missing || process.env.CASHIER_REBUILD === '1') {
    const r = spawnSync(join(root, 'node_modules', '.bin', 'electron-vite'), ['build'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], { cwd: process.cwd(), stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}
