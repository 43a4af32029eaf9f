/** The one Electron IPC channel that carries pushed events (`(eventName, payload)`); invokes use the contract's channel names. */
export const IPC_EVENT = 'pos:event';
