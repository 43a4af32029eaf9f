/**
 * Browser mode: `npm run start:web -- [--port N] [--data DIR] [--quiet]`.
 * Starts the same core as the desktop app under plain Node and serves the built renderer plus the
 * contract over a WebSocket on 127.0.0.1. Prints the cashier and customer-display URLs.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { startCore } from '../app/core';
import { createFileKeyCipher } from '../secrets/cipher';
import { consoleSink, createLogger, type LogSink } from '../util/logger';
import { createRotatingLog } from '../util/log-file';
import { startWebHost } from './host';
import { describeStartupFailure, startupFailureText } from '../app/startup-failure';
import { parseCliArgs } from './args';
import { version } from '../../../package.json';

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  const dataDir = resolve(args.data ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'counter-cashier-web'));
  mkdirSync(dataDir, { recursive: true });
  // Browser mode writes the same log file as the desktop app (<data>/logs/), and the console.
  const sinks: LogSink[] = [consoleSink(args.quiet)];
  try {
    sinks.push(createRotatingLog(dataDir));
  } catch (error) {
    process.stderr.write(`log file unavailable (${error instanceof Error ? error.message : String(error)}); logging to the console only\n`);
  }
  const logger = createLogger('web', sinks);
  const core = await startCore({
    dataDir,
    version,
    platform: 'web',
    cipher: createFileKeyCipher(dataDir),
    logger,
    ...(args.config === undefined ? {} : { provisioningFile: resolve(args.config), provisioningRequired: true }),
  });
  const host = await startWebHost({
    dispatch: core.dispatch,
    bus: core.bus,
    logger,
    staticDir: args.staticDir ?? fileURLToPath(new URL('../renderer', import.meta.url)),
    ...(args.port === undefined ? {} : { port: args.port }),
  });
  const info = core.info();
  process.stdout.write(
    [
      `${info.name} ${info.version} — browser mode (${info.mode === 'training' ? '培训模式 training' : 'live'})`,
      `  data:             ${dataDir}`,
      `  cashier:          ${host.url}`,
      `  customer display: ${host.displayUrl}`,
      ...(info.configError === null ? [] : [`  config error:     ${info.configError} (kept ${info.mode} mode)`]),
      '',
    ].join('\n'),
  );
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    void host
      .close()
      .then(() => core.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  // The same text as the desktop app's start-up failure window: what happened, what to do.
  const args = (() => {
    try {
      return parseCliArgs(process.argv.slice(2));
    } catch {
      return {} as { data?: string };
    }
  })();
  const dataDir = resolve(args.data ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'counter-cashier-web'));
  process.stderr.write(`cannot start browser mode\n${startupFailureText(describeStartupFailure(error, { dataDir }))}`);
  process.exit(1);
});
