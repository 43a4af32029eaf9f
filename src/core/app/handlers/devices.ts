import type { Handlers } from '../../../shared/ipc/types';
import { listPorts } from '../../devices/ports';
import { TRAINING_TERMINAL_PATH } from '../../devices/training-terminal';
import { readDevicesConfig } from '../device-settings';
import type { BackOfficeContext } from './context';

/** Serial devices: the ports there are, their status, a test line on the pole display. */
export function deviceHandlers(ctx: BackOfficeContext): Pick<Handlers, 'devices:listPorts' | 'devices:status' | 'devices:testDisplay'> {
  const { db, devices, state } = ctx.deps;
  return {
    'devices:listPorts': async () => {
      const c = readDevicesConfig(db);
      const configured = [c.poleDisplay?.path, c.cardTerminal?.path].filter((p): p is string => typeof p === 'string' && p !== '');
      const list = await listPorts(configured);
      if (state.mode() === 'training') list.ports.push({ path: TRAINING_TERMINAL_PATH, source: 'configured', present: true });
      return list;
    },
    'devices:status': () => devices.statuses(),
    'devices:testDisplay': async () => {
      await devices.testDisplay();
      return { ok: true as const };
    },
  };
}
