import { Component, type ErrorInfo, type ReactNode } from 'react';

/**
 * Keeps one screen's failure on that screen: a render error (or a screen whose code could not be
 * loaded — an app updated under a running window) shows what happened and what to do, while the
 * header, its keys (F1 back to the checkout) and the core's money work go on. Without it React unmounts
 * the whole window: a blank page at the counter. Reset when the screen changes (`resetKey`).
 */
export class ScreenBoundary extends Component<
  { resetKey: string; title: string; hint: string; reloadLabel: string; children: ReactNode },
  { failed: string | null; key: string }
> {
  override state = { failed: null as string | null, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): { failed: string } {
    return { failed: error instanceof Error ? error.message : String(error) };
  }

  static getDerivedStateFromProps(props: { resetKey: string }, state: { failed: string | null; key: string }): { failed: string | null; key: string } | null {
    return props.resetKey === state.key ? null : { failed: null, key: props.resetKey };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('screen failed', error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.failed === null) return this.props.children;
    return (
      <div className="panel" role="alert" data-testid="screen-failed">
        <h2>{this.props.title}</h2>
        <p>{this.props.hint}</p>
        <p className="hint mono">{this.state.failed.slice(0, 300)}</p>
        <button type="button" onClick={() => window.location.reload()} data-testid="screen-reload">
          {this.props.reloadLabel}
        </button>
      </div>
    );
  }
}
