/**
 * The bridge. Runs sandboxed with contextIsolation: it exposes `window.pos = { invoke, on }` and
 * nothing else — no ipcRenderer, no Node. Channel and event names come from the contract, so a
 * renderer cannot reach an IPC channel the contract does not declare.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isChannelName, isEventName } from '../shared/ipc/contract';
import type { PosBridge } from '../shared/ipc/types';
import { IPC_EVENT } from '../shared/ipc/electron-channels';

const api: PosBridge = {
  invoke(channel, input) {
    if (!isChannelName(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `no such channel: ${String(channel)}` } });
    }
    return ipcRenderer.invoke(channel, input) as never;
  },
  on(event, listener) {
    if (!isEventName(event)) throw new Error(`no such event: ${String(event)}`);
    const handler = (_e: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (name === event) listener(payload as never);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('pos', api);
