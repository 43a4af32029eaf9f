// `npm run test:chaos [-- --cycles N --seed S]`: builds the app, then runs the long chaos run
// (test/chaos/chaos.test.ts) with those settings. Prints the run's counts and violations per invariant.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const env = { ...process.env };
for (let i = 0; i < args.length; i += 1) {
  const value = args[i + 1];
  if (args[i] === '--cycles' && value !== undefined) env.CHAOS_CYCLES = String(Number.parseInt(value, 10));
  else if (args[i] === '--seed' && value !== undefined) env.CHAOS_SEED = String(Number.parseInt(value, 10));
  else {
    process.stderr.write(`unknown argument ${args[i]} (use --cycles N --seed S)\n`);
    process.exit(2);
  }
  i += 1;
}
const build = spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: 'inherit', env });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(bin('vitest'), ['run', '--project', 'chaos'], { cwd: root, stdio: 'inherit', env });
process.exit(run.status ?? 1);
