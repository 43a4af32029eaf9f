import { AppError } from '../../../shared/errors';
import type { Handlers } from '../../../shared/ipc/types';
import { SETTING } from '../../config/config';
import { readSetting } from '../../ledger/settings';
import { createOperator, getOperator, isDefaultPin, listOperators, updateOperator, type Role } from '../../operators/operators';
import type { BackOfficeContext } from './context';

/** The role an approver needs to create or change an operator whose role is `next` (and was `current`). */
export function approverRoleFor(next: Role, current?: Role): Role {
  const needs = (role: Role): Role => (role === 'cashier' ? 'supervisor' : 'manager');
  return current !== undefined && needs(current) === 'manager' ? 'manager' : needs(next);
}

/** Operators and their PINs (a supervisor changes cashiers; a manager everyone). */
export function operatorHandlers(ctx: BackOfficeContext): Pick<Handlers, 'operators:list' | 'operators:save'> {
  const { db, now } = ctx.deps;
  return {
    'operators:list': () => listOperators(db),
    'operators:save': async ({ code, name, role, pin, active, approval }) => {
      // Who may approve depends on the higher of the target's current and new role: a supervisor
      // changes cashiers only; touching a supervisor or manager (demote, re-PIN, deactivate) needs a manager.
      const existing = getOperator(db, code);
      const approver = await ctx.approve(approval, approverRoleFor(role, existing?.role));
      if (pin !== undefined && isDefaultPin(pin) && readSetting(db, SETTING.mode) === 'live') {
        throw new AppError(
          'DEFAULT_PINS',
          `PIN of operator ${code}: a published training PIN cannot be used in live mode; choose another (6 digits recommended)`,
          { field: 'pin', operators: code },
        );
      }
      const saved =
        existing === undefined
          ? await (async () => {
              if (pin === undefined) throw new AppError('BAD_INPUT', 'a new operator needs a PIN', { field: 'pin' });
              return createOperator(db, { code, name, role, pin, ...(active === undefined ? {} : { active }) }, now(), approver.code);
            })()
          : await updateOperator(
              db,
              code,
              { name, role, ...(pin === undefined ? {} : { pin }), ...(active === undefined ? {} : { active }) },
              now(),
              approver.code,
            );
      await ctx.refreshDefaultPins();
      return saved;
    },
  };
}
