import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { CHANNEL_NAMES, type WindowRole } from '../shared/ipc/contract';
import { IPC_EVENT } from '../shared/ipc/electron-channels';
import type { Result } from '../shared/ipc/types';
import type { Dispatch } from '../core/ipc/dispatcher';
import type { EventBus } from '../core/ipc/event-bus';

export interface IpcRegistration {
  /** The window role for a webContents id, or null for anything that is not one of our windows. */
  roleOf(webContentsId: number): WindowRole | null;
  /** True for the app's own pages (file:// of out/renderer, or the dev server in development). */
  isAppUrl(url: string): boolean;
  /** Where pushed events go, with each window's role (which decides what it may hear). */
  targets(): { role: WindowRole; contents: WebContents }[];
}

/**
 * Registers one `ipcMain.handle` per contract channel. Before the dispatcher runs, the sender must be
 * one of our windows, its main frame, on the app's own URL — the trusted-sender check.
 */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, dispatch: Dispatch, bus: EventBus, reg: IpcRegistration): () => void {
  for (const channel of CHANNEL_NAMES) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, input: unknown): Promise<Result<unknown>> => {
      const role = trustedRole(event, reg);
      if (role === null) return { ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } };
      return dispatch(channel, input, { role });
    });
  }
  const offs = (['cashier', 'display'] as const).map((role) =>
    // Only the events this role may hear, with only the fields it may see (the contract's eventAccess).
    bus.forRole(role, (event, payload) => {
      for (const target of reg.targets()) {
        if (target.role === role && !target.contents.isDestroyed()) target.contents.send(IPC_EVENT, event, payload);
      }
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}

function trustedRole(event: IpcMainInvokeEvent, reg: IpcRegistration): WindowRole | null {
  const frame = event.senderFrame;
  if (frame === null || frame !== event.sender.mainFrame) return null;
  if (!reg.isAppUrl(frame.url)) return null;
  return reg.roleOf(event.sender.id);
}
