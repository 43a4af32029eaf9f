/** The headquarters command line's work (src/hq/cli.ts is its entry point; tests call `runHqCli`). */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { createFileKeyCipher, type SecretCipher } from '../core/secrets/cipher';
import { addCounter, addOperator, publishSnapshot, revokeCounter, type SnapshotInput } from './admin';
import { createPool, migrateHq, type Pool } from './db';
import { startHqServer, type HqServer } from './server';

export function parseArgs(argv: string[]): { command: string; flags: Map<string, string> } {
  const flags = new Map<string, string>();
  let command = 'serve';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const [k, v] = arg.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags.set(k, v);
      else flags.set(k, argv[++i] ?? '');
    } else if (i === 0) command = arg;
  }
  return { command, flags };
}

function need(flags: Map<string, string>, name: string): string {
  const value = flags.get(name) ?? (name === 'pg' ? process.env.HQ_PG_URL : undefined);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

const COMMANDS = new Set(['serve', 'add-counter', 'revoke-counter', 'add-operator', 'publish-snapshot']);

/** A bad command line: said on stderr, exit code 2, and nothing was started or connected to. */
export class UsageError extends Error {}

/**
 * `--tls-cert FILE --tls-key FILE`: both or neither. Read and checked as a pair (a certificate and
 * its private key) before anything else starts, so a typo never leaves a half-started service.
 */
export function tlsFromFlags(flags: Map<string, string>): { certPem: string; keyPem: string } | undefined {
  const certFile = flags.get('tls-cert');
  const keyFile = flags.get('tls-key');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined || certFile === '' || keyFile === '') {
    throw new UsageError('--tls-cert FILE and --tls-key FILE go together (both for https, neither for plain http)');
  }
  const read = (flag: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      throw new UsageError(`--${flag} ${file}: cannot be read (${code})`);
    }
  };
  const tls = { certPem: read('tls-cert', certFile), keyPem: read('tls-key', keyFile) };
  try {
    createSecureContext({ cert: tls.certPem, key: tls.keyPem });
  } catch (error) {
    throw new UsageError(`--tls-cert / --tls-key: not a PEM certificate chain and its private key (${error instanceof Error ? error.message : String(error)})`);
  }
  return tls;
}

export interface HqCliIo {
  out(text: string): void;
  err(text: string): void;
  /** The built dashboard (default: ../renderer next to the bundle). */
  staticDir?: string;
}

/**
 * Runs one command. Returns its exit code, or for `serve` the running service (the caller stops it).
 * Flags are checked before PostgreSQL is touched.
 */
export async function runHqCli(argv: string[], io: HqCliIo): Promise<number | { server: HqServer; stop(): Promise<void> }> {
  try {
    const { command, flags } = parseArgs(argv);
    if (!COMMANDS.has(command)) throw new UsageError(`unknown command ${command}`);
    const tls = command === 'serve' ? tlsFromFlags(flags) : undefined;
    const pgUrl = need(flags, 'pg');
    const dataDir = resolve(flags.get('data') ?? 'hq-data');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const cipher = createFileKeyCipher(dataDir);
    const pool = createPool(pgUrl);
    try {
      await migrateHq(pool);
      if (command === 'serve') {
        const server = await startHqServer({
          ...(tls === undefined ? {} : { tls }),
          pool,
          cipher,
          host: flags.get('host') ?? '127.0.0.1',
          port: Number(flags.get('port') ?? 8088),
          staticDir: io.staticDir ?? resolve(import.meta.dirname, '..', 'renderer'),
          log: (message, data) => io.err(`${JSON.stringify({ time: new Date().toISOString(), message, data })}\n`),
        });
        io.out(`headquarters listening on ${server.url}  (dashboard: ${server.url}/)\n`);
        return { server, stop: () => server.close().then(() => pool.end()) };
      }
      await adminCommand(command, flags, pool, cipher, io);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    await pool.end();
    return 0;
  } catch (error) {
    io.err(`headquarters: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function adminCommand(command: string, flags: Map<string, string>, pool: Pool, cipher: SecretCipher, io: HqCliIo): Promise<void> {
  switch (command) {
    case 'add-counter': {
      const key = flags.get('key');
      const name = flags.get('name');
      const result = await addCounter(pool, cipher, {
        store: need(flags, 'store'),
        lane: need(flags, 'lane'),
        ...(name === undefined ? {} : { name }),
        ...(key === undefined ? {} : { key }),
      });
      io.out(
        `counter ${need(flags, 'store')}/${need(flags, 'lane')} registered. Its key (put it in the counter's provisioning file hq.key; shown once):\n${result.key}\n`,
      );
      break;
    }
    case 'revoke-counter':
      io.out((await revokeCounter(pool, need(flags, 'store'), need(flags, 'lane'))) ? 'revoked\n' : 'no such active counter\n');
      break;
    case 'add-operator':
      await addOperator(pool, { code: need(flags, 'code'), name: need(flags, 'name'), pin: need(flags, 'pin') });
      io.out('operator saved\n');
      break;
    case 'publish-snapshot': {
      const input = JSON.parse(readFileSync(need(flags, 'file'), 'utf8')) as SnapshotInput;
      const snapshot = await publishSnapshot(pool, input);
      io.out(`snapshot version ${snapshot.version} published\n`);
      break;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}
