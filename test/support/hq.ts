/**
 * Headquarters for node tests: a real PostgreSQL (test/support/postgres.ts) migrated to the latest HQ
 * schema, a pool, and the master-key cipher in a temp directory; `stop()` undoes all of it.
 */
import { createFileKeyCipher, type SecretCipher } from '../../src/core/secrets/cipher';
import { createPool, migrateHq, resetPartitionCache, type Pool } from '../../src/hq/db';
import { startTestPostgres, type TestPostgres } from './postgres';
import { tempDir } from './temp';

export interface TestHq {
  pgdb: TestPostgres;
  pool: Pool;
  cipher: SecretCipher;
  stop(): Promise<void>;
}

export async function startTestHq(prefix = 'hq-master-'): Promise<TestHq> {
  const pgdb = await startTestPostgres();
  const pool = createPool(pgdb.url);
  resetPartitionCache();
  await migrateHq(pool);
  const dir = tempDir(prefix);
  return {
    pgdb,
    pool,
    cipher: createFileKeyCipher(dir.dir),
    async stop() {
      await pool.end();
      await pgdb.stop();
      dir.cleanup();
    },
  };
}
