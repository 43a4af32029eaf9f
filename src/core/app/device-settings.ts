import { DevicesConfigSchema, type DevicesConfig } from '../../shared/devices';
import type { Db } from '../ledger/db';
import { readSetting } from '../ledger/settings';

/** The settings key of the device configuration (pole display, card terminal, receipt printer). */
export const DEVICES_SETTING = 'devices';

/** The stored device settings (defaults when none are stored or they no longer parse). */
export function readDevicesConfig(db: Db): DevicesConfig {
  const parsed = DevicesConfigSchema.safeParse(readSetting(db, DEVICES_SETTING) ?? {});
  return parsed.success ? parsed.data : DevicesConfigSchema.parse({});
}
