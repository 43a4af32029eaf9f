import { create } from 'zustand';
import type { AppInfo } from '../../../shared/ipc/contract';
import { getBridge, call } from '../bridge/client';

/** View state only: the truth (mode, money) lives in the core and is re-read through the bridge. */
interface AppState {
  info: AppInfo | null;
  error: string | null;
  load: () => Promise<void>;
}

export const useAppStore = create<AppState>((set) => ({
  info: null,
  error: null,
  async load() {
    try {
      set({ info: await call('app:info', undefined), error: null });
    } catch (error) {
      set({ error: error instanceof Error ? error.message : String(error) });
    }
  },
}));

/** Keeps `info` current when the host reports a mode change. */
export function subscribeAppEvents(): () => void {
  return getBridge().on('app:mode', (info) => useAppStore.setState({ info }));
}
