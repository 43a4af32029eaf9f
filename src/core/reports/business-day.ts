/**
 * Which business day (营业日) a sale or refund is booked on. The calendar business day of the moment
 * (in the shop's time zone, starting at its start hour) — unless that day is already closed (日结):
 * a closed day is closed for booking, not the counter, so the booking moves on to the next day that
 * is still open.
 */
import type { BusinessDaySettings } from '../../shared/settings';
import type { Db } from '../ledger/db';
import { businessDay } from '../util/time';
import type { Mode } from './rows';
import { addDays } from './time';

export const DEFAULT_BUSINESS_DAY: BusinessDaySettings = { timeZone: '', startHour: 0 };

/** The IANA zone of the settings, undefined for "the computer's own zone". */
export function settingsTimeZone(settings: BusinessDaySettings): string | undefined {
  return settings.timeZone === '' ? undefined : settings.timeZone;
}

/** The business day `ms` falls in by the clock alone (closes ignored). */
export function calendarBusinessDay(ms: number, settings: BusinessDaySettings = DEFAULT_BUSINESS_DAY): string {
  return businessDay(ms, settingsTimeZone(settings), settings.startHour);
}

/**
 * The first business day on or after the calendar business day of `ms` that is not closed in `mode`.
 * Run it in the same synchronous step as the insert it dates, so a close cannot slip in between.
 */
export function bookingDay(db: Db, mode: Mode, ms: number, settings: BusinessDaySettings = DEFAULT_BUSINESS_DAY): string {
  const closed = db.prepare('SELECT 1 FROM day_reports WHERE mode = ? AND business_day = ?');
  let day = calendarBusinessDay(ms, settings);
  // Closing days ahead of time is refused, so this walks at most one or two days in practice.
  for (let i = 0; i < 400 && closed.get(mode, day) !== undefined; i += 1) day = addDays(day, 1);
  return day;
}
