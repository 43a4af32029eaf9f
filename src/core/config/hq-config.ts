/**
 * The stored headquarters settings (Settings → 总部, the provisioning file's `hq` section) and the check
 * of headquarters' private CA: PEM text, parsed here as X.509 before it is stored, so a pasted private
 * key, a truncated certificate or an expired CA is refused where it is typed, not at the first push.
 */
import { X509Certificate } from 'node:crypto';
import { AppError, type ErrorCode } from '../../shared/errors';
import { CA_PEM_RULE, HqSettingsSchema, PEM_CERTIFICATES, type HqSettings } from '../../shared/settings';
import type { Db } from '../ledger/db';
import { readSetting } from '../ledger/settings';
import { SETTING } from './config';

/**
 * The stored settings, or null when none are (or they no longer parse). A `caFile` path stored by the
 * first https version is dropped: the CA is now PEM text in `ca`; until it is entered, headquarters'
 * certificate is checked against the public CAs and an untrusted one shows as TLS_UNTRUSTED.
 */
export function readHqSettings(db: Db): HqSettings | null {
  const raw = readSetting(db, SETTING.hq);
  if (raw === undefined || raw === null) return null;
  const value = typeof raw === 'object' && 'caFile' in raw ? (({ caFile: _legacy, ...rest }: Record<string, unknown>) => rest)(raw) : raw;
  const parsed = HqSettingsSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/**
 * Checks headquarters' CA text: one or more PEM certificates, each a valid X.509 certificate that has
 * not expired. Throws `code` (BAD_INPUT from Settings, CONFIG_INVALID from the provisioning file) naming
 * `field`, with the rule as the message's tail ("<field>: <rule>"), which the renderer shows in zh/en.
 * Returns the text normalised (one certificate per block, ending in a newline).
 */
export function checkHqCa(text: string, field: string, code: ErrorCode, now = Date.now(), prefix = ''): string {
  const fail = (rule: string): never => {
    throw new AppError(code, `${prefix}${field}: ${rule}`, { field });
  };
  const pem = text.trim();
  if (pem === '') return '';
  if (pem.length > 65_536 || !PEM_CERTIFICATES.test(pem)) fail(CA_PEM_RULE);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  for (const block of blocks) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch {
      return fail(CA_PEM_RULE);
    }
    if (Date.parse(cert.validTo) < now) fail(`the CA certificate expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}`);
  }
  return `${blocks.join('\n')}\n`;
}
