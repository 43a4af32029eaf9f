// `npm run setup`: the one install-and-run command. Runs with whatever Node the machine has (even 20):
// installs the locked dependencies (which bring their own Node 22 for every npm script), then starts
// the app. If the Electron binary cannot be downloaded, `npm start` falls back to browser mode.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const install = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (install.status !== 0) {
  process.stderr.write('\nnpm ci failed. On a restricted network set ELECTRON_SKIP_BINARY_DOWNLOAD=1 (browser mode) or ELECTRON_MIRROR (see README).\n');
  process.exit(install.status ?? 1);
}
const start = spawnSync(npm, ['start', '--', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(start.status ?? 0);
