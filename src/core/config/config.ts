import type { z } from 'zod';
import {
  BpcMerchantSchema,
  BusinessDaySchema,
  type BusinessDaySettings,
  BpcProfileSchema,
  LimitsSchema,
  NotificationsSchema,
  PollingSchema,
  QrSchema,
  TimeoutsSchema,
  type BpcMerchantSettings,
  type BpcProfileSettings,
  type LimitsSettings,
  ShopSchema,
  type ShopSettings,
  type NotificationsSettings,
  type PollingSettings,
  type QrSettings,
  type TimeoutsSettings,
} from '../../shared/settings';
import type { Db } from '../ledger/db';
import { readSetting } from '../ledger/settings';

/** Settings keys in the ledger's settings table. */
export const SETTING = {
  merchant: 'bpc.merchant',
  profile: 'bpc.profile',
  timeouts: 'bpc.timeouts',
  qr: 'qr',
  polling: 'polling',
  notifications: 'notifications',
  limits: 'limits',
  shop: 'shop',
  businessDay: 'businessDay',
  mode: 'app.mode',
  hq: 'hq',
  backups: 'backups',
} as const;

export interface CounterConfig {
  merchant: BpcMerchantSettings | null;
  profile: BpcProfileSettings;
  timeouts: TimeoutsSettings;
  qr: QrSettings;
  polling: PollingSettings;
  notifications: NotificationsSettings;
  limits: LimitsSettings;
  shop: ShopSettings;
  businessDay: BusinessDaySettings;
}

function read<S extends z.ZodType>(db: Db, key: string, schema: S): z.output<S> {
  const parsed = schema.safeParse(readSetting(db, key) ?? {});
  // Stored settings were validated when written; a value that no longer parses (e.g. written by an
  // older version) falls back to the defaults rather than stopping the counter.
  return parsed.success ? parsed.data : schema.parse({});
}

/** The whole configuration with defaults filled in. Cheap: a few indexed reads. */
export function readConfig(db: Db): CounterConfig {
  const merchantRaw = readSetting(db, SETTING.merchant);
  const merchant = merchantRaw === undefined ? null : BpcMerchantSchema.safeParse(merchantRaw);
  return {
    merchant: merchant === null || !merchant.success ? null : merchant.data,
    profile: read(db, SETTING.profile, BpcProfileSchema),
    timeouts: read(db, SETTING.timeouts, TimeoutsSchema),
    qr: read(db, SETTING.qr, QrSchema),
    polling: read(db, SETTING.polling, PollingSchema),
    notifications: read(db, SETTING.notifications, NotificationsSchema),
    limits: read(db, SETTING.limits, LimitsSchema),
    shop: read(db, SETTING.shop, ShopSchema),
    businessDay: read(db, SETTING.businessDay, BusinessDaySchema),
  };
}
