import type { SafeStorage } from 'electron';
import { AppError } from '../shared/errors';
import type { SecretCipher } from '../core/secrets/cipher';

/** Secrets at rest through the OS (DPAPI on Windows, Keychain on macOS, libsecret/kwallet on Linux). */
export function createSafeStorageCipher(safeStorage: Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>): SecretCipher {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new AppError('CONFIG_INVALID', 'the operating system offers no secret storage (safeStorage unavailable)');
  }
  return {
    kind: 'safeStorage',
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (cipherText) => safeStorage.decryptString(cipherText),
  };
}
