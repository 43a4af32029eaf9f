import type { BrowserWindowConstructorOptions, Rectangle, Session, WebContents } from 'electron';

export interface DisplayLike {
  id: number;
  bounds: Rectangle;
}

/** What differs between a packaged build and development: DevTools only in development. */
export interface BuildFlavour {
  packaged: boolean;
}

const webPreferences = (preload: string, flavour: BuildFlavour): Electron.WebPreferences => ({
  preload,
  // No DevTools in a packaged build: a cashier must not reach the console of the money window.
  devTools: !flavour.packaged,
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  // A middle click must not open a link in a new window (Electronegativity AUXCLICK_JS_CHECK).
  disableBlinkFeatures: 'Auxclick',
  spellcheck: false,
});

/** The cashier's window. */
export function cashierWindowOptions(preload: string, flavour: BuildFlavour = { packaged: true }): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 700,
    title: '收银',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#0f172a',
    webPreferences: webPreferences(preload, flavour),
  };
}

/**
 * The customer display: full screen on an external display when one exists (the first that is not the
 * primary), otherwise a normal window the cashier can drag to wherever the customer looks.
 */
export function displayWindowOptions(
  preload: string,
  displays: readonly DisplayLike[],
  primaryId: number,
  flavour: BuildFlavour = { packaged: true },
): BrowserWindowConstructorOptions {
  const external = displays.find((d) => d.id !== primaryId);
  const base: BrowserWindowConstructorOptions = {
    title: '客显',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: webPreferences(preload, flavour),
  };
  if (external === undefined) return { ...base, width: 800, height: 600 };
  return { ...base, x: external.bounds.x, y: external.bounds.y, width: external.bounds.width, height: external.bounds.height, fullscreen: true, frame: false };
}

/**
 * The app asks for no browser permission (camera, microphone, geolocation, notifications, serial /
 * HID / USB from the page, clipboard reads…): every request and every check is denied. Serial devices
 * are opened by the main process, never by a page.
 */
export function hardenSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

/** Denies window.open and every navigation away from the app's own page; no DevTools when packaged. */
export function hardenWebContents(contents: WebContents, isAppUrl: (url: string) => boolean, flavour: BuildFlavour = { packaged: true }): void {
  if (flavour.packaged) contents.on('devtools-opened', () => contents.closeDevTools());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
