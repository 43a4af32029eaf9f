/**
 * `npm run hq -- [command] --pg URL [options]` — the headquarters service and its administration.
 *
 *   serve (default)   --pg URL --port N [--host 127.0.0.1] [--data DIR] [--tls-cert FILE --tls-key FILE]
 *   add-counter       --pg URL --store S --lane L [--name N] [--key K]   prints the counter's key once
 *   revoke-counter    --pg URL --store S --lane L
 *   add-operator      --pg URL --code C --name N --pin P                 a headquarters manager
 *   publish-snapshot  --pg URL --file snapshot.json                      shop name, receipt texts, operators, limits
 *
 * `--data DIR` (default ./hq-data) holds `secret.key`, the master key that encrypts counter keys in
 * PostgreSQL (mode 0600; back it up with the database).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createFileKeyCipher } from '../core/secrets/cipher';
import { addCounter, addOperator, publishSnapshot, revokeCounter, type SnapshotInput } from './admin';
import { createPool, migrateHq } from './db';
import { startHqServer } from './server';

function parseArgs(argv: string[]): { command: string; flags: Map<string, string> } {
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
  if (value === undefined || value === '') throw new Error(`--${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  const dataDir = resolve(flags.get('data') ?? 'hq-data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const cipher = createFileKeyCipher(dataDir);
  const pool = createPool(need(flags, 'pg'));
  await migrateHq(pool);
  switch (command) {
    case 'serve': {
      const staticDir = resolve(import.meta.dirname, '..', 'renderer');
      const certFile = flags.get('tls-cert');
      const keyFile = flags.get('tls-key');
      if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--tls-cert and --tls-key go together');
      const tls =
        certFile === undefined || keyFile === undefined ? undefined : { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
      const server = await startHqServer({
        ...(tls === undefined ? {} : { tls }),
        pool,
        cipher,
        host: flags.get('host') ?? '127.0.0.1',
        port: Number(flags.get('port') ?? 8088),
        staticDir,
        log: (message, data) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), message, data })}\n`),
      });
      process.stdout.write(`headquarters listening on ${server.url}  (dashboard: ${server.url}/)\n`);
      const stop = (): void => {
        void server
          .close()
          .then(() => pool.end())
          .then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      return;
    }
    case 'add-counter': {
      const key = flags.get('key');
      const name = flags.get('name');
      const result = await addCounter(pool, cipher, {
        store: need(flags, 'store'),
        lane: need(flags, 'lane'),
        ...(name === undefined ? {} : { name }),
        ...(key === undefined ? {} : { key }),
      });
      process.stdout.write(
        `counter ${need(flags, 'store')}/${need(flags, 'lane')} registered. Its key (put it in the counter's provisioning file hq.key; shown once):\n${result.key}\n`,
      );
      break;
    }
    case 'revoke-counter':
      process.stdout.write((await revokeCounter(pool, need(flags, 'store'), need(flags, 'lane'))) ? 'revoked\n' : 'no such active counter\n');
      break;
    case 'add-operator':
      await addOperator(pool, { code: need(flags, 'code'), name: need(flags, 'name'), pin: need(flags, 'pin') });
      process.stdout.write('operator saved\n');
      break;
    case 'publish-snapshot': {
      const input = JSON.parse(readFileSync(need(flags, 'file'), 'utf8')) as SnapshotInput;
      const snapshot = await publishSnapshot(pool, input);
      process.stdout.write(`snapshot version ${snapshot.version} published\n`);
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
  await pool.end();
}

main().catch((error: unknown) => {
  process.stderr.write(`headquarters: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

export const HQ_DATA_DEFAULT = join('.', 'hq-data');
