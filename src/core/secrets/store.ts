import { AppError } from '../../shared/errors';
import type { Db } from '../ledger/db';
import { settingsChanged } from '../ledger/settings';
import { registerSecret } from '../util/logger';
import type { SecretCipher } from './cipher';

export interface SecretSummary {
  hasValue: boolean;
  /** The last two characters, for "is this the key I typed?"; never more. */
  suffix: string;
  cipher: SecretCipher['kind'] | null;
}

/**
 * Named secrets (gateway keys), encrypted with the injected cipher and stored in the ledger's
 * `secrets` table. `read` is for the main process only: nothing returned by it may cross the bridge;
 * the renderer gets `summary` (hasValue + masked suffix).
 */
export class SecretStore {
  constructor(
    private readonly db: Db,
    private readonly cipher: SecretCipher,
    private readonly now: () => number = Date.now,
  ) {}

  get cipherKind(): SecretCipher['kind'] {
    return this.cipher.kind;
  }

  write(name: string, value: string): void {
    if (value.length === 0) throw new AppError('BAD_INPUT', `secret ${name} is empty`);
    // From now on the log redacts this value wherever it appears.
    registerSecret(value);
    const suffix = value.length >= 8 ? value.slice(-2) : '';
    this.db
      .prepare(
        `INSERT INTO secrets (name, cipher, ciphertext, suffix, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET cipher = excluded.cipher, ciphertext = excluded.ciphertext,
           suffix = excluded.suffix, updated_at = excluded.updated_at`,
      )
      .run(name, this.cipher.kind, this.cipher.encrypt(value), suffix, this.now());
    settingsChanged(this.db);
  }

  read(name: string): string | undefined {
    const row = this.db.prepare('SELECT cipher, ciphertext FROM secrets WHERE name = ?').get(name) as { cipher: string; ciphertext: Buffer } | undefined;
    if (row === undefined) return undefined;
    if (row.cipher !== this.cipher.kind) {
      throw new AppError('CONFIG_INVALID', `secret ${name} was stored with ${row.cipher}, this app runs with ${this.cipher.kind}; enter it again`);
    }
    let value: string;
    try {
      value = this.cipher.decrypt(row.ciphertext);
    } catch {
      throw new AppError('CONFIG_INVALID', `secret ${name} cannot be decrypted on this machine; enter it again`);
    }
    registerSecret(value);
    return value;
  }

  summary(name: string): SecretSummary {
    const row = this.db.prepare('SELECT cipher, suffix FROM secrets WHERE name = ?').get(name) as { cipher: SecretCipher['kind']; suffix: string } | undefined;
    return row === undefined ? { hasValue: false, suffix: '', cipher: null } : { hasValue: true, suffix: row.suffix, cipher: row.cipher };
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM secrets WHERE name = ?').run(name);
    settingsChanged(this.db);
  }
}
