import { create } from 'zustand';
import type { SessionData } from '../../../shared/reports';
import { call, getBridge } from '../bridge/client';

/** Who is signed in at this counter (from the core; re-read on `session:changed`). */
interface SessionState {
  session: SessionData | null;
  load: () => Promise<void>;
  set: (session: SessionData) => void;
}

export const useSessionStore = create<SessionState>((set) => ({
  session: null,
  async load() {
    set({ session: await call('session:current', undefined) });
  },
  set: (session) => set({ session }),
}));

export function subscribeSessionEvents(): () => void {
  return getBridge().on('session:changed', (session) => useSessionStore.getState().set(session));
}
