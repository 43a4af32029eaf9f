// `npm start`: build, then run the desktop app with Electron. Where the Electron binary cannot be had
// (ELECTRON_SKIP_BINARY_DOWNLOAD=1, or no route to its download), say so and start browser mode instead.
import { spawnSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const build = spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

function electronBinary() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' && process.env.ELECTRON_OVERRIDE_DIST_PATH === undefined) return null;
  try {
    // electron's index.js downloads the binary on first use (set ELECTRON_MIRROR for a nearby mirror).
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' ? path : null;
  } catch (error) {
    process.stderr.write(`Electron binary unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
    return null;
  }
}

const electron = electronBinary();
const child = electron
  ? spawn(electron, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  : (process.stdout.write('\nNo Electron binary on this machine: starting browser mode instead (open the printed URLs in a browser).\n\n'),
    spawn(process.execPath, [join(root, 'out', 'main', 'web.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
