/**
 * Issue 13.6: the real packaging step, run here. electron-builder packs `--linux dir` against a
 * stand-in Electron distribution (`electronDist`: an executable carrying Electron's fuse wire with
 * Electron's defaults, so no download is needed) and we inspect what it made: the built app and
 * production dependencies only, native `.node` files outside the asar, the fuses flipped as
 * electron-builder.yml says, the icon fit for the installers, and package.json fields the deb
 * target needs.
 */
import { listPackage, statFile } from '@electron/asar';
import { getCurrentFuseWire } from '@electron/fuses';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp';

const ROOT = resolve(import.meta.dirname, '../..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron's shipped defaults, fuse wire v1: RunAsNode on, cookie encryption off, NODE_OPTIONS on,
// --inspect on, asar integrity off, only-load-from-asar off, V8 snapshot off, file:// privileges on.
const ELECTRON_DEFAULT_WIRE = '10110001';
const ON = '1'.charCodeAt(0);
const OFF = '0'.charCodeAt(0);

function standInElectron(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  mkdirSync(join(dir, 'locales'), { recursive: true });
  const exe = join(dir, 'electron');
  writeFileSync(
    exe,
    Buffer.concat([
      Buffer.from('#!/bin/sh\necho stand-in electron\nexit 0\n# '),
      Buffer.from(SENTINEL),
      Buffer.from([1, ELECTRON_DEFAULT_WIRE.length]),
      Buffer.from(`${ELECTRON_DEFAULT_WIRE}\n`),
    ]),
  );
  chmodSync(exe, 0o755);
  const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(join(dir, 'version'), electronVersion);
  writeFileSync(join(dir, 'LICENSE'), '');
  writeFileSync(join(dir, 'LICENSES.chromium.html'), '');
}

describe('packaging (electron-builder --linux dir, stand-in Electron)', () => {
  it('packs the built app only, native modules unpacked, fuses flipped, icon and metadata present', async () => {
    if (!existsSync(join(ROOT, 'out/main/index.js'))) {
      const built = spawnSync(join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
    }
    const t = tempDir('pack-');
    try {
      const dist = join(t.dir, 'electron-dist');
      standInElectron(dist);
      const output = join(t.dir, 'dist');
      const run = spawnSync(
        join(ROOT, 'node_modules/.bin/electron-builder'),
        ['--linux', 'dir', '--config', 'electron-builder.yml', `-c.electronDist=${dist}`, `-c.directories.output=${output}`],
        { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CI: 'true' }, timeout: 240_000 },
      );
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      // package.json fields the installers need (the deb target refuses a package without them).
      const meta = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { author?: unknown; homepage?: unknown; description?: unknown };
      expect([typeof meta.author, typeof meta.homepage, typeof meta.description]).toEqual(['object', 'string', 'string']);

      const appDir = join(output, 'linux-unpacked');
      const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        name: string;
        devDependencies: Record<string, string>;
        dependencies: Record<string, string>;
      };
      const exe = join(appDir, pkg.name);
      expect(existsSync(exe)).toBe(true);

      // Fuses as electron-builder.yml says, flipped in the shipped executable.
      {
        const wire = await getCurrentFuseWire(exe);
        expect(wire.version).toBe('1');
        expect([wire[0], wire[1], wire[2], wire[3], wire[4], wire[5]]).toEqual([OFF, ON, OFF, OFF, ON, ON]);

        const asar = join(appDir, 'resources', 'app.asar');
        const files = listPackage(asar, { isPack: false }).map((f) => f.replaceAll('\\', '/'));
        for (const needed of ['/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/out/renderer/customer.html', '/package.json']) {
          expect(files, needed).toContain(needed);
        }
        const own = files.filter((f) => !f.startsWith('/node_modules/'));
        // No sources, tests, benchmarks, configs or maps of ours.
        expect(
          own.filter(
            (f) => /^\/(src|test|bench|scripts|docs|resources)\//.test(f) || /\.(ts|tsx|map)$/.test(f) || /tsconfig|vitest|eslint|electron\.vite/.test(f),
          ),
        ).toEqual([]);
        // No development dependency (electron itself included) reaches the package, unless the
        // production tree needs it too (exceljs → fast-csv pulls @types/node, for instance).
        const prodTree = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' }).stdout;
        const inProd = (name: string): boolean => prodTree.split('\n').some((line) => line.replaceAll('\\', '/').endsWith(`/node_modules/${name}`));
        const devOnly = Object.keys(pkg.devDependencies).filter((name) => !(name in pkg.dependencies) && !inProd(name));
        expect(devOnly).toEqual(expect.arrayContaining(['electron', 'vitest', 'typescript', 'playwright-core', 'electron-builder']));
        for (const name of devOnly)
          expect(
            files.some((f) => f === `/node_modules/${name}` || f.startsWith(`/node_modules/${name}/`)),
            name,
          ).toBe(false);
        // Every production dependency is there.
        for (const name of Object.keys(pkg.dependencies)) expect(files, name).toContain(`/node_modules/${name}/package.json`);
        // Native modules load from outside the asar.
        const natives = files.filter((f) => f.endsWith('.node'));
        expect(natives).toContain('/node_modules/better-sqlite3/prebuilds/linux-x64.node');
        expect(natives.some((f) => f.includes('/@serialport/bindings-cpp/prebuilds/linux-x64/'))).toBe(true);
        // better-sqlite3's C sources (SQLite's amalgamation) are for building it, not for running it.
        expect(files.filter((f) => /^\/node_modules\/better-sqlite3\/(deps|src)\//.test(f))).toEqual([]);
        for (const f of natives) {
          expect((statFile(asar, f.slice(1)) as { unpacked?: boolean }).unpacked, f).toBe(true);
          expect(existsSync(join(appDir, 'resources', 'app.asar.unpacked', f)), f).toBe(true);
        }
        // The packaged package.json starts the built main process.
        const packed = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
        expect(files).toContain(`/${packed.main.replace(/^\.\//, '')}`);

        // The icon the installers use: a PNG of at least 256×256.
        const icon = readFileSync(join(ROOT, 'resources', 'icon.png'));
        expect(icon.subarray(1, 4).toString()).toBe('PNG');
        expect(Math.min(icon.readUInt32BE(16), icon.readUInt32BE(20))).toBeGreaterThanOrEqual(256);
      }
    } finally {
      t.cleanup();
    }
  }, 300_000);
});
