import type { SafeStorage } from 'electron';
import { AppError } from '../shared/errors';
import type { SecretCipher } from '../core/secrets/cipher';

type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

/**
 * Secrets at rest through the OS (DPAPI on Windows, Keychain on macOS, libsecret/kwallet on Linux).
 * On Linux, Chromium's `basic_text` backend "encrypts" with a fixed, published password when no
 * secret service is running: that is no protection, so it is refused like a missing keyring (as
 * Signal Desktop does) and main falls back to the labelled file key, which Settings shows.
 */
export function createSafeStorageCipher(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretCipher {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new AppError('CONFIG_INVALID', 'the operating system offers no secret storage (safeStorage unavailable)');
  }
  if (platform === 'linux') {
    const backend = typeof safeStorage.getSelectedStorageBackend === 'function' ? safeStorage.getSelectedStorageBackend() : 'unknown';
    if (backend === 'basic_text' || backend === 'unknown') {
      throw new AppError('CONFIG_INVALID', `the Linux secret storage backend is "${backend}" (a fixed password, no keyring): not used for secrets`);
    }
  }
  return {
    kind: 'safeStorage',
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (cipherText) => safeStorage.decryptString(cipherText),
  };
}
