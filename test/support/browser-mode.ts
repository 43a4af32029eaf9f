import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const WEB_ENTRY = resolve(ROOT, 'out/main/web.js');

export interface BrowserMode {
  child: ChildProcess;
  url: string;
  displayUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built browser mode (`node out/main/web.js`) as a real child process and reads its URLs. */
export async function startBrowserMode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BrowserMode> {
  if (!existsSync(WEB_ENTRY)) throw new Error(`${WEB_ENTRY} missing: run the build first (npm test does)`);
  const child = spawn(process.execPath, [WEB_ENTRY, '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const urls = await new Promise<{ url: string; displayUrl: string }>((ok, fail) => {
    // Under machine load (8 agents on 2 cores) hashing the default operators' PINs alone took ~30 s.
    const timer = setTimeout(() => fail(new Error(`browser mode did not start:\n${out}`)), 60_000);
    const check = (): void => {
      const url = /cashier:\s+(\S+)/.exec(out)?.[1];
      const displayUrl = /customer display:\s+(\S+)/.exec(out)?.[1];
      if (url !== undefined && displayUrl !== undefined) {
        clearTimeout(timer);
        ok({ url, displayUrl });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`browser mode exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    ...urls,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          ok(child.exitCode);
          return;
        }
        child.once('exit', (code) => ok(code));
        child.kill(signal);
      }),
  };
}
