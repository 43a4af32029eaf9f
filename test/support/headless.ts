import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { ROOT } from './browser-mode';

export const HEADLESS_ENTRY = resolve(ROOT, 'out/main/headless.js');

export interface Headless {
  child: ChildProcess;
  lines: unknown[];
  send(command: unknown): void;
  next(predicate: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built core headless in a child process (see src/core/app/headless.ts). */
export function startHeadless(args: string[], env: NodeJS.ProcessEnv = {}): Headless {
  const child = spawn(process.execPath, [HEADLESS_ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: unknown[] = [];
  const waiters: { predicate: (line: any) => boolean; resolve: (v: unknown) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The crash tests write to a child that may have been killed a moment ago: EPIPE is expected, not an error.
  child.stdin.on('error', () => undefined);
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
  return {
    child,
    lines,
    exited,
    send: (command) => {
      if (child.exitCode === null && child.signalCode === null && child.stdin.writable) child.stdin.write(`${JSON.stringify(command)}\n`);
    },
    next: (predicate, timeoutMs = 15_000) => {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`timeout waiting for a line; stderr:\n${stderr}\nlines:\n${JSON.stringify(lines)}`)), timeoutMs);
        waiters.push({
          predicate,
          resolve: (v) => {
            clearTimeout(timer);
            ok(v);
          },
        });
      });
    },
  };
}
