import { expect } from 'vitest';
import { AppError } from '../../src/shared/errors';

/** Asserts that `fn` throws an AppError with `code` (and `details.field` when given). */
export function expectAppError(fn: () => unknown, code: string, field?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    if (field !== undefined) expect((err as AppError).details?.field).toBe(field);
    return;
  }
  throw new Error('expected an AppError');
}
