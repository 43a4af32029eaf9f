import { describe, expect, it } from 'vitest';
import { BpcClient } from '../../src/core/gateways/bpc/client';
import { BPC_CAPABILITIES, bpcGatewayEntry, BpcGateway } from '../../src/core/gateways/bpc/adapter';
import { GatewayRegistry } from '../../src/core/payments/registry';
import type { AppMode } from '../../src/shared/ipc/contract';
import { AppError } from '../../src/shared/errors';

describe('gateway registry', () => {
  const client = (posNo: string): BpcClient =>
    new BpcClient({ merchant: { url: 'http://127.0.0.1:9/', mid: '104320170118888', posNo, tellerNo: '001' }, getKey: () => 'k' });

  it('returns the gateway of each mode, one adapter per client, and the declared limits without reaching it', () => {
    const training = client('T');
    const live = client('L');
    const asked: AppMode[] = [];
    const registry = new GatewayRegistry([
      bpcGatewayEntry((mode) => {
        asked.push(mode);
        return mode === 'training' ? training : live;
      }),
    ]);
    expect(registry.idFor('qr')).toBe('bpc');
    expect(registry.capabilities('bpc')).toEqual(BPC_CAPABILITIES);
    expect(asked).toEqual([]);
    const t = registry.get('bpc', 'training');
    expect(t).toBeInstanceOf(BpcGateway);
    expect((t as BpcGateway).client).toBe(training);
    expect((registry.get('bpc', 'live') as BpcGateway).client).toBe(live);
    expect(registry.get('bpc', 'training')).toBe(t);
    expect(asked).toEqual(['training', 'live', 'training']);
  });

  it('an unknown gateway or tender is NOT_CONFIGURED; a live gateway that cannot be built throws its own error', () => {
    const registry = new GatewayRegistry([
      bpcGatewayEntry((mode) => {
        if (mode === 'live') throw new AppError('NOT_CONFIGURED', 'no merchant configured for live mode');
        return client('T');
      }),
    ]);
    expect(() => registry.get('yima', 'training')).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
    expect(() => registry.idFor('card')).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
    expect(() => registry.get('bpc', 'live')).toThrow(/no merchant configured/);
    expect(() => registry.register(bpcGatewayEntry(() => client('X')))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('the BPC adapter declares "can close" from the bank profile', () => {
    const closing = new BpcGateway(client('A'));
    const notClosing = new BpcGateway(
      new BpcClient({ merchant: { url: 'http://127.0.0.1:9/', mid: 'm', posNo: 'p', tellerNo: 't' }, getKey: () => 'k', profile: { closeEnabled: false } }),
    );
    expect(closing.capabilities.canClose).toBe(true);
    expect(notClosing.capabilities.canClose).toBe(false);
  });
});
