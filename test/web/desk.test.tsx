import { describe, expect, it } from 'vitest';
import { isEditable, localDay, shiftDay, timeOfDay } from '../../src/renderer/src/screens/desk/day';
import { readableData } from '../../src/renderer/src/screens/desk/DetailParts';
import { deskEn, deskZh } from '../../src/renderer/src/i18n/desk';

describe('desk helpers', () => {
  it('moves a business day across month, year and leap-day boundaries', () => {
    expect(shiftDay('2024-03-01', -1)).toBe('2024-02-29');
    expect(shiftDay('2023-03-01', -1)).toBe('2023-02-28');
    expect(shiftDay('2025-12-31', 1)).toBe('2026-01-01');
    expect(shiftDay('2026-01-01', -1)).toBe('2025-12-31');
    // A daylight-saving change (Europe: last Sunday of March) neither skips nor repeats a day.
    expect(shiftDay('2026-03-29', 1)).toBe('2026-03-30');
    expect(shiftDay('2026-03-30', -1)).toBe('2026-03-29');
    expect(shiftDay('not a day', 1)).toBe('not a day');
  });

  it('formats the local day and time of a moment', () => {
    const at = new Date(2026, 4, 7, 9, 5, 3).getTime();
    expect(localDay(at)).toBe('2026-05-07');
    expect(timeOfDay(at)).toBe('09:05:03');
  });

  it('parses JSON held in strings (a raw gateway answer) so it is shown indented', () => {
    const data = { request: { tranType: 'G' }, response: '{"respCode":"00","nested":"[1,2]"}', text: '{not json', n: 5 };
    expect(readableData(data)).toEqual({ request: { tranType: 'G' }, response: { respCode: '00', nested: [1, 2] }, text: '{not json', n: 5 });
    expect(readableData('plain')).toBe('plain');
    expect(readableData(null)).toBeNull();
  });

  it('treats text fields as editable but not checkboxes or buttons (← → change the day there)', () => {
    const text = document.createElement('input');
    const box = document.createElement('input');
    box.type = 'checkbox';
    const select = document.createElement('select');
    const row = document.createElement('tr');
    expect(isEditable(text)).toBe(true);
    expect(isEditable(select)).toBe(true);
    expect(isEditable(box)).toBe(false);
    expect(isEditable(row)).toBe(false);
    expect(isEditable(null)).toBe(false);
  });

  it('has an English text for every Chinese key, with the same placeholders', () => {
    const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
    for (const [key, zh] of Object.entries(deskZh)) {
      const en = deskEn[key as keyof typeof deskZh];
      expect(en, key).toMatch(/\S/);
      expect(placeholders(en), key).toEqual(placeholders(zh));
    }
  });
});
