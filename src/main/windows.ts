import type { BrowserWindowConstructorOptions, Rectangle, WebContents } from 'electron';

export interface DisplayLike {
  id: number;
  bounds: Rectangle;
}

const webPreferences = (preload: string): BrowserWindowConstructorOptions['webPreferences'] => ({
  preload,
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  spellcheck: false,
});

/** The cashier's window. */
export function cashierWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    title: '收银',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#0f172a',
    webPreferences: webPreferences(preload),
  };
}

/**
 * The customer display: full screen on an external display when one exists (the first that is not the
 * primary), otherwise a normal window the cashier can drag to wherever the customer looks.
 */
export function displayWindowOptions(preload: string, displays: readonly DisplayLike[], primaryId: number): BrowserWindowConstructorOptions {
  const external = displays.find((d) => d.id !== primaryId);
  const base: BrowserWindowConstructorOptions = {
    title: '客显',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: webPreferences(preload),
  };
  if (external === undefined) return { ...base, width: 800, height: 600 };
  return { ...base, x: external.bounds.x, y: external.bounds.y, width: external.bounds.width, height: external.bounds.height, fullscreen: true, frame: false };
}

/** Denies window.open and every navigation away from the app's own page. */
export function hardenWebContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
