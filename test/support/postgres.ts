/**
 * A real PostgreSQL for the headquarters tests. `.ci/run` starts one cluster and sets HQ_TEST_PG_URL;
 * without it (a developer's machine) a throw-away cluster is started here with Debian's initdb /
 * pg_ctl (as the postgres user when we are root; PostgreSQL refuses to run as root). Each test file
 * gets its own database, dropped at the end. No PostgreSQL at all is a failure, not a skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort().reverse() : [];
  for (const v of versions) {
    const file = join(base, v, 'bin', name);
    if (existsSync(file)) return file;
  }
  throw new Error(`PostgreSQL's ${name} not found: apt-get install postgresql (the headquarters tests need a real PostgreSQL)`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[]): void {
  const cmd = asRoot ? 'runuser' : bin;
  const full = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, full, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

export interface TestPostgres {
  /** Connection string of this file's own database. */
  url: string;
  stop(): Promise<void>;
}

async function startCluster(fsync: boolean): Promise<{ base: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'hq-pg-'));
  chmodSync(dir, 0o700);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run(pgBin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run(pgBin('pg_ctl'), [
    '-D',
    data,
    '-w',
    '-l',
    join(dir, 'log'),
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=${fsync ? 'on' : 'off'} -c max_connections=300`,
    'start',
  ]);
  return {
    base: `postgres://postgres@127.0.0.1:${port}`,
    stop: () => {
      try {
        run(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh database for one test file. */
export async function startTestPostgres(options: { fsync?: boolean; url?: string } = {}): Promise<TestPostgres> {
  let base = options.url ?? process.env.HQ_TEST_PG_URL;
  let stopCluster: (() => void) | undefined;
  if (base === undefined || base === '') {
    const cluster = await startCluster(options.fsync ?? false);
    base = cluster.base;
    stopCluster = cluster.stop;
  }
  // HQ_TEST_PG_URL names the server only (postgres://user@host:port), no database.
  const server = base.replace(/\/+$/, '');
  const name = `hq_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `${server}/${name}`;
  return {
    url,
    stop: async () => {
      const a = new pg.Client({ connectionString: `${server}/postgres` });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
      stopCluster?.();
    },
  };
}
