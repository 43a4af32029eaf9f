import { AppError } from '../../shared/errors';
import type { AppMode } from '../../shared/ipc/contract';
import type { YimaSettings } from '../../shared/yima-settings';
import { readConfig, SETTING, type CounterConfig } from '../config/config';
import { BPC_KEY } from '../config/provisioning';
import { readYimaSettings } from '../config/yima-config';
import type { Db } from '../ledger/db';
import { readSetting, settingsGeneration } from '../ledger/settings';
import type { SecretStore } from '../secrets/store';

/**
 * Live mode needs a configured merchant, its key, and an explicit decision to go live: a provisioning
 * file with a merchant (the installer's decision) or a supervisor's mode switch. Saving settings or a
 * key never starts real charging by itself. Until then the app runs in training mode.
 */
export function resolveMode(config: CounterConfig, keySet: boolean, switchedLive: boolean, defaultPins: readonly string[]): { mode: AppMode; reason: string } {
  if (config.merchant === null) return { mode: 'training', reason: 'no merchant configured' };
  if (!keySet) return { mode: 'training', reason: 'merchant key missing' };
  if (!switchedLive) return { mode: 'training', reason: 'merchant configured; a supervisor has not switched to live mode' };
  // A ledger switched to live before this rule (or an operator given a training PIN again) stays in
  // training until every published PIN is changed.
  if (defaultPins.length > 0)
    return { mode: 'training', reason: `live mode refused: operators ${defaultPins.join(', ')} still have the published training PINs` };
  return { mode: 'live', reason: 'merchant configured and switched to live' };
}

/** https or http, from a gateway URL (shown in health; http without signed answers refuses live charging). */
export function transportOf(url: string): 'https' | 'http' {
  return url.startsWith('https:') ? 'https' : 'http';
}

/** The URL names this machine (127.0.0.0/8, ::1, localhost): plain http never leaves it. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Live mode's one plain-http rule (issue 8.7), for the bank, Yima and headquarters: a plain http `url`
 * is refused with INSECURE_TRANSPORT naming `field` unless `allowed` says why it is safe (the bank and
 * Yima: signed answers required; headquarters: this machine). Nothing is sent when it throws.
 */
export function refusePlainHttp(url: string, field: string, refusal: string, allowed: boolean): void {
  if (transportOf(url) === 'http' && !allowed) throw new AppError('INSECURE_TRANSPORT', refusal, { field });
}

interface Snapshot {
  generation: number;
  pins: readonly string[];
  config: CounterConfig;
  yima: YimaSettings | null;
  mode: AppMode;
  reason: string;
}

/**
 * The counter's configuration, Yima settings and mode, read from the ledger once and read again only
 * when a settings or secrets write moved the ledger's settings generation (every writer raises it:
 * writeSetting, SecretStore, a headquarters snapshot) or the operators on a published training PIN
 * changed. Money code asks for the mode on every step; before this it re-parsed every settings row
 * each time.
 *
 * Inside an open transaction the value read is used but not kept: a rollback would otherwise leave a
 * configuration that never committed in the cache.
 */
export class CounterState {
  private snapshot: Snapshot | null = null;
  private pins: readonly string[];
  /** How many times the settings were actually read (tests prove the cache holds). */
  reads = 0;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretStore,
    defaultPins: readonly string[] = [],
  ) {
    this.pins = [...defaultPins];
  }

  private current(): Snapshot {
    const generation = settingsGeneration(this.db);
    const known = this.snapshot;
    if (known !== null && known.generation === generation && known.pins === this.pins) return known;
    this.reads += 1;
    const config = readConfig(this.db);
    const { mode, reason } = resolveMode(config, this.secrets.summary(BPC_KEY).hasValue, readSetting(this.db, SETTING.mode) === 'live', this.pins);
    const next: Snapshot = { generation, pins: this.pins, config, yima: readYimaSettings(this.db), mode, reason };
    this.snapshot = this.db.inTransaction ? null : next;
    return next;
  }

  config(): CounterConfig {
    return this.current().config;
  }

  yima(): YimaSettings | null {
    return this.current().yima;
  }

  mode(): AppMode {
    return this.current().mode;
  }

  /**
   * Training and live share the ledger: a record of the other mode is not this counter's to act on now
   * (in training the published training PINs are valid — they must never reach a live sale).
   */
  requireOwnMode(mode: string, what: string): void {
    if (mode !== this.mode()) throw new AppError('NOT_FOUND', `${what} belongs to ${mode} mode`);
  }

  modeReason(): string {
    return this.current().reason;
  }

  /** Operators still on a published training PIN (they keep the counter in training mode). */
  get defaultPins(): readonly string[] {
    return this.pins;
  }

  setDefaultPins(codes: readonly string[]): void {
    this.pins = [...codes];
  }

  /** Forget what was read (a writer outside the settings helpers, e.g. a test editing the file). */
  invalidate(): void {
    this.snapshot = null;
  }
}
