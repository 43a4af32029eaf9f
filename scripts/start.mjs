// `npm start`: build, then run the desktop app with Electron. Where the Electron binary cannot be had
// (ELECTRON_SKIP_BINARY_DOWNLOAD=1, or no route to its download), say so and start browser mode instead.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const build = spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const ADVICE = 'set ELECTRON_MIRROR (e.g. https://npmmirror.com/mirrors/electron/) and run npm start again for the desktop app';

/** The installed Electron executable, or null. Never requires electron's index.js in this process (it downloads and prints stack traces). */
function installedElectron() {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

function electronBinary() {
  const installed = installedElectron();
  if (installed !== null) return installed;
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' && process.env.ELECTRON_OVERRIDE_DIST_PATH === undefined) {
    process.stdout.write(`\nNo Electron binary (ELECTRON_SKIP_BINARY_DOWNLOAD=1): starting browser mode; unset it and ${ADVICE}.\n\n`);
    return null;
  }
  // electron downloads its binary on first use: try once in a child whose output is kept to itself.
  process.stdout.write('Fetching the Electron binary (first start)…\n');
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(String(require('electron')))"], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  const got = r.status === 0 ? r.stdout.trim() : '';
  if (got !== '' && existsSync(got)) return got;
  process.stdout.write(
    `\nCould not download the Electron binary (no route to its server): starting browser mode; ${ADVICE}, or set ELECTRON_SKIP_BINARY_DOWNLOAD=1 to skip the attempt.\n\n`,
  );
  return null;
}

const electron = electronBinary();
const child = electron
  ? spawn(electron, ['.', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  : (process.stdout.write('Open the two printed URLs in a browser.\n'),
    spawn(process.execPath, [join(root, 'out', 'main', 'web.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
