import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/ipc/event-bus';
import { createRotatingLog } from '../../src/core/util/log-file';
import { createLogger, registerSecret, type LogRecord } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';

/** Issue 15.1: the log file — JSON lines, rotation, the event log's redaction and more. */
const dirs: { cleanup: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
const temp = (): string => {
  const t = tempDir('log-');
  dirs.push(t);
  return t.dir;
};
const lines = (path: string): LogRecord[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LogRecord);

describe('rotating log file', () => {
  it('writes JSON lines with time, level, module and message under <data>/logs, private to the user', () => {
    const dir = temp();
    const file = createRotatingLog(dir);
    createLogger('engine', [file]).warn('payment 7 stays unknown', { id: 7 });
    expect(file.path).toBe(`${dir}/logs/cashier.log`);
    const [record] = lines(file.path);
    expect(record).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'warn',
      module: 'engine',
      message: 'payment 7 stays unknown',
      data: { id: 7 },
    });
    if (process.platform !== 'win32') {
      expect(statSync(file.dir).mode & 0o777).toBe(0o700);
      expect(statSync(file.path).mode & 0o777).toBe(0o600);
    }
  });

  it('rotates by size and keeps the configured number of files', () => {
    const dir = temp();
    const file = createRotatingLog(dir, { maxBytes: 1000, files: 3 });
    const log = createLogger('m', [file]);
    for (let i = 0; i < 60; i++) log.info(`line ${String(i).padStart(3, '0')} ${'x'.repeat(60)}`);
    const list = file.list();
    expect(list).toEqual([file.path, `${file.path}.1`, `${file.path}.2`]);
    for (const p of list) expect(statSync(p).size).toBeLessThanOrEqual(1000);
    // The newest line is in the current file, the oldest kept lines in .2; the first ones are gone.
    expect(lines(file.path).at(-1)?.message).toMatch(/^line 059/);
    const all = list.flatMap(lines).map((r) => r.message.slice(0, 8));
    expect(all).not.toContain('line 000');
    // A restart appends to the current file and goes on rotating from its size.
    const again = createRotatingLog(dir, { maxBytes: 1000, files: 3 });
    createLogger('m', [again]).info('after restart');
    expect(lines(again.path).at(-1)?.message).toBe('after restart');
  });

  it("never writes a key, a PIN, a card number or a raw body's secret field", () => {
    const dir = temp();
    const file = createRotatingLog(dir);
    const log = createLogger('bpc', [file]);
    const key = '01AC$@!BGT98aw#C-planted';
    registerSecret(key);
    log.error('request failed', {
      key,
      pin: '8888',
      approval: { code: '800', pin: '2468' },
      response: { cardNo: '6222021234567890123' },
      raw: '{"respCode":"00","sign":"abcdef0123456789"}',
      error: new Error(`bad answer for key ${key}`),
    });
    log.warn(`card 4111111111111111 declined; url key=${key}&sign=deadbeef; pin=1357`);
    const text = readFileSync(file.path, 'utf8');
    for (const secret of [key, key.slice(0, 8), key.slice(8, 16), '2468', '1357', '6222021234567890123', '4111111111111111', 'abcdef0123456789', 'deadbeef']) {
      expect(text, secret).not.toContain(secret);
    }
    // The stack of the unexpected error is there (for the installer), redacted.
    expect(text).toContain('bad answer for key ***');
    expect(text).toContain('"stack"');
    expect(text).toContain('622202*********0123');
  });

  it('an event-bus listener that throws is logged, and the other listeners still hear the event', () => {
    const dir = temp();
    const file = createRotatingLog(dir);
    const bus = new EventBus(createLogger('bus', [file]));
    const heard: string[] = [];
    bus.onAny(() => {
      throw new Error('window went away');
    });
    bus.onAny((event) => heard.push(event));
    bus.emit('device:status', { device: 'pole-display', state: 'disconnected', detail: '' });
    expect(heard).toEqual(['device:status']);
    const [record] = lines(file.path);
    expect(record).toMatchObject({ level: 'error', module: 'bus', message: 'event listener failed on device:status' });
    expect(JSON.stringify(record?.data)).toContain('window went away');
  });
});
