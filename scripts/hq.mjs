// `npm run hq -- [command] --pg URL ...`: build if needed, then the headquarters service (src/hq/cli.ts).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const entry = join(root, 'out', 'main', 'hq.js');
if (!existsSync(entry) || !existsSync(join(root, 'out', 'renderer', 'hq.html')) || process.env.CASHIER_REBUILD === '1') {
  const r = spawnSync(join(root, 'node_modules', '.bin', 'electron-vite'), ['build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], { cwd: process.cwd(), stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
