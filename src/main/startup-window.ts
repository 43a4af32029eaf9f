import type { BrowserWindowConstructorOptions } from 'electron';
import type { StartupFailure } from '../core/app/startup-failure';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The small window's page: what happened, what to do (zh, then en), details, three links. No script. */
export function startupFailureHtml(f: StartupFailure): string {
  return `<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>收银程序无法启动 · Cannot start</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font-family:system-ui,"WenQuanYi Zen Hei",sans-serif;margin:24px;color:#0f172a}h1{font-size:20px;color:#b91c1c}p{font-size:15px;line-height:1.5}
pre{background:#f1f5f9;padding:8px;white-space:pre-wrap;font-size:12px}a{display:inline-block;margin:8px 12px 0 0;padding:8px 14px;border-radius:6px;background:#1d4ed8;color:#fff;text-decoration:none}</style></head>
<body data-kind="${escape(f.kind)}">
<h1>${escape(f.title.zh)}</h1><p>${escape(f.todo.zh)}</p>
<h1 lang="en">${escape(f.title.en)}</h1><p lang="en">${escape(f.todo.en)}</p>
<pre>${escape(f.details)}</pre>
<a href="#copy">复制详情 · Copy details</a><a href="#diagnostics">导出诊断包 · Export diagnostics</a><a href="#quit">退出 · Quit</a>
</body></html>`;
}

export function startupWindowOptions(): BrowserWindowConstructorOptions {
  return {
    width: 640,
    height: 520,
    title: '收银程序无法启动 · Cannot start',
    autoHideMenuBar: true,
    show: true,
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
      devTools: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

export interface StartupWindowActions {
  copy(text: string): void;
  exportDiagnostics(): Promise<string>;
  notify(message: string): void;
  quit(): void;
}

/** What the page's links do (in-page navigation to #copy / #diagnostics / #quit, handled by main). */
export function onStartupWindowLink(url: string, f: StartupFailure, actions: StartupWindowActions): void {
  const hash = url.slice(url.indexOf('#') + 1);
  if (hash === 'copy') {
    actions.copy(`${f.title.zh} / ${f.title.en}\n${f.details}`);
    actions.notify('详情已复制 · Details copied');
  } else if (hash === 'diagnostics') {
    actions
      .exportDiagnostics()
      .then((path) => actions.notify(`诊断包已保存 · Diagnostics saved:\n${path}`))
      .catch((error: unknown) => actions.notify(`诊断包导出失败 · Export failed: ${error instanceof Error ? error.message : String(error)}`));
  } else if (hash === 'quit') {
    actions.quit();
  }
}
