/**
 * A virtual null-modem cable made by socat (`pty,raw,echo=0` on both ends), for tests, training mode
 * and trying a display setup without hardware. Stopping it is what an unplug looks like to the app.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { AppError } from '../../shared/errors';
import { findOnPath } from './ports';

/** True when `socat` is on PATH. */
export function hasSocat(): boolean {
  return findOnPath('socat') !== null;
}

export interface NullModem {
  /** One end (a symlink to a /dev/pts node). */
  readonly a: string;
  /** The other end. */
  readonly b: string;
  /** Kills socat (its links disappear): the cable is unplugged. */
  stop(): Promise<void>;
  /** Starts socat again on the same link paths (new pts nodes). */
  restart(): Promise<void>;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new AppError('DEVICE_TIMEOUT', `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B` and waits until both links exist.
 * Fails with DEVICE_NOT_FOUND when socat is not installed, DEVICE_TIMEOUT when the links do not appear.
 */
export async function startNullModem(a: string, b: string, timeoutMs = 5000): Promise<NullModem> {
  if (!hasSocat()) throw new AppError('DEVICE_NOT_FOUND', 'socat is not installed (Debian package "socat")');
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
    child = proc;
    const seen: { failure: Error | null } = { failure: null };
    proc.on('error', (err) => {
      seen.failure = err;
    });
    await waitFor(() => seen.failure !== null || proc.exitCode !== null || (fs.existsSync(a) && fs.existsSync(b)), timeoutMs, 'socat links');
    if (seen.failure !== null || proc.exitCode !== null) {
      throw new AppError('DEVICE_NOT_FOUND', `socat did not start${seen.failure === null ? '' : `: ${seen.failure.message}`}`);
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
    // socat removes its links on SIGTERM; make sure, so a restart can create them again.
    for (const link of [a, b]) {
      try {
        fs.unlinkSync(link);
      } catch {
        // already gone
      }
    }
  };

  await start();
  return { a, b, stop, restart: start };
}
