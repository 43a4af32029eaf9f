import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';

/**
 * Encrypts secrets at rest. In Electron the main process supplies one backed by `safeStorage`
 * (the OS keychain / DPAPI); in browser mode the explicitly labelled file-key fallback below is used.
 */
export interface SecretCipher {
  /** Shown to the supervisor in Settings so that nobody mistakes the fallback for the OS keychain. */
  readonly kind: 'safeStorage' | 'file-key';
  encrypt(plain: string): Buffer;
  decrypt(cipherText: Buffer): string;
}

export const FILE_KEY_NAME = 'secret.key';

/**
 * AES-256-GCM with a random 32-byte key kept in `<dataDir>/secret.key` (mode 0600). It protects the
 * ledger file when it is copied alone; it does not protect against someone who can read the whole
 * data directory. That is why Electron uses safeStorage and this is labelled "file key" in Settings.
 */
export function createFileKeyCipher(dataDir: string): SecretCipher {
  const keyPath = join(dataDir, FILE_KEY_NAME);
  let key: Buffer;
  if (existsSync(keyPath)) {
    key = readFileSync(keyPath);
    chmodSync(keyPath, 0o600);
    if (key.length !== 32) throw new AppError('CONFIG_INVALID', `${keyPath} is not a 32-byte key file`);
  } else {
    key = randomBytes(32);
    writeFileSync(keyPath, key, { mode: 0o600, flag: 'wx' });
    chmodSync(keyPath, 0o600);
  }
  return {
    kind: 'file-key',
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(cipherText) {
      const iv = cipherText.subarray(0, 12);
      const tag = cipherText.subarray(12, 28);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(cipherText.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
