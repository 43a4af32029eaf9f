import { describe, expect, it } from 'vitest';
import { cashierWindowOptions, displayWindowOptions } from '../../src/main/windows';

describe('window options', () => {
  it('customer display is a normal window when there is no second monitor', () => {
    const options = displayWindowOptions('/p.cjs', [{ id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }], 1);
    expect(options.fullscreen).toBeUndefined();
    expect(options).toMatchObject({ width: 800, height: 600 });
    expect(options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, disableBlinkFeatures: 'Auxclick' });
  });

  it('cashier window is hardened too', () => {
    expect(cashierWindowOptions('/p.cjs').webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, preload: '/p.cjs' });
  });
});
