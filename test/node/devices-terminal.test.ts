import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortMock } from 'serialport';
import { AppError } from '../../src/shared/errors';
import { CardTerminalConfigSchema } from '../../src/shared/devices';
import type { CardTerminalConfig } from '../../src/shared/devices';
import type { CardJournal, CardOperationRecord, CardResult } from '../../src/core/devices/card-terminal';
import { CardTerminalClient, unknownReasonCode } from '../../src/core/devices/card-terminal';
import type { PortFactory } from '../../src/core/devices/connection';
import { mockPortFactory, realPortFactory } from '../../src/core/devices/connection';
import type { TerminalSimulator, TerminalSimulatorCore } from '../../src/core/devices/simulator';
import { createTerminalSimulatorCore, startTerminalSimulator } from '../../src/core/devices/simulator';
import type { NullModem } from '../../src/core/devices/virtual-port';
import { hasSocat, startNullModem } from '../../src/core/devices/virtual-port';
import type { MisResponse } from '../../src/core/devices/mis';

// The pty tests need socat (Debian package "socat"); without it only they are skipped.
const socat = hasSocat();

function config(p: string, over: Partial<CardTerminalConfig> = {}): CardTerminalConfig {
  return {
    ...CardTerminalConfigSchema.parse({ path: p, registerNo: 'POS01', operatorNo: '001' }),
    ackTimeoutMs: 150,
    answerTimeoutMs: 600,
    queryTimeoutMs: 600,
    ...over,
  };
}

interface RecordingJournal extends CardJournal {
  records: CardOperationRecord[];
  /** Bytes the terminal had received when each record was made. */
  bytesSeenAtMark: number[];
}

function journal(bytesSeen: () => number): RecordingJournal {
  const records: CardOperationRecord[] = [];
  const bytesSeenAtMark: number[] = [];
  return {
    records,
    bytesSeenAtMark,
    markSent: async (op) => {
      await new Promise((resolve) => setImmediate(resolve));
      bytesSeenAtMark.push(bytesSeen());
      records.push(op);
    },
  };
}

/** The mock binding's instance (its package's types do not resolve under `bundler` resolution). */
interface MockBindingLike {
  isOpen: boolean;
  emitData(data: Buffer): void;
  write(buf: Buffer): Promise<void>;
}
const bindingOf = (p: SerialPortMock | undefined): MockBindingLike | undefined => (p as unknown as { port?: MockBindingLike } | undefined)?.port;

/** A mock-binding port whose written bytes go to a simulator core, and whose answers come back. */
function mockTerminal(p: string): { factory: PortFactory; sim: TerminalSimulatorCore; received: () => number } {
  SerialPortMock.binding.createPort(p, { record: true });
  const ports: SerialPortMock[] = [];
  let received = 0;
  const sim = createTerminalSimulatorCore({
    send: (bytes) => {
      const binding = bindingOf(ports.at(-1));
      if (binding?.isOpen === true) binding.emitData(bytes);
    },
  });
  const factory: PortFactory = (s) => {
    const port = mockPortFactory(s) as SerialPortMock;
    ports.push(port);
    port.on('open', () => {
      const binding = bindingOf(port)!;
      const write = binding.write.bind(binding);
      binding.write = async (buf: Buffer) => {
        await write(buf);
        received += buf.length;
        setImmediate(() => sim.receive(buf));
      };
    });
    return port;
  };
  return { factory, sim, received: () => received };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  SerialPortMock.binding.reset();
});

async function mockClient(name: string, over: Partial<CardTerminalConfig> = {}) {
  const p = `/dev/mock-terminal-${name}`;
  const wire = mockTerminal(p);
  const j = journal(wire.received);
  const client = new CardTerminalClient(config(p, over), { portFactory: wire.factory, journal: j, reconnect: null, random: () => 0.042 });
  cleanups.push(
    () => client.close(),
    () => wire.sim.dispose(),
  );
  await client.open();
  return { client, sim: wire.sim, journal: j, received: wire.received };
}

function approved(result: CardResult): MisResponse {
  if (result.kind !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(result)}`);
  return result.response;
}

describe('card terminal client on the mock binding', () => {
  it('sale approved: journal written before the first byte, check digits echoed', async () => {
    const { client, sim, journal: j } = await mockClient('ok');
    const response = approved(await client.sale({ amountFen: 12850 }));
    expect(response.amountFen).toBe(12850);
    expect(response.returnCode).toBe('00');
    expect(response.check).toBe('042');
    expect(j.records).toHaveLength(1);
    expect(j.records[0]!.kind).toBe('sale');
    expect(j.records[0]!.request).toMatchObject({ type: '00', amountFen: 12850, registerNo: 'POS01', operatorNo: '001', check: '042' });
    expect(j.bytesSeenAtMark).toEqual([0]);
    expect(Buffer.from(j.records[0]!.payloadHex, 'hex').toString('latin1')).toContain('000000012850');
    expect(sim.saleFrameCount()).toBe(1);
  });

  it('declined carries the return code and the GBK message', async () => {
    const { client, sim } = await mockClient('decline');
    sim.script({ result: 'decline', code: '55', message: '密码错误' });
    const result = await client.sale({ amountFen: 100 });
    expect(result).toMatchObject({ kind: 'declined', code: '55', message: '密码错误' });
  });

  it('NAK then success: the same frame is resent, the journal is written once', async () => {
    const { client, sim, journal: j } = await mockClient('nak');
    sim.script({ nakRequest: 1 });
    approved(await client.sale({ amountFen: 500 }));
    expect(sim.frames.map((f) => f.naked)).toEqual([true, false]);
    expect(new Set(sim.frames.map((f) => f.check)).size).toBe(1);
    expect(j.records).toHaveLength(1);
  });

  it('NAKed three times: unknown after 2 retries', async () => {
    const { client, sim } = await mockClient('nak3');
    sim.script({ nakRequest: 3 });
    const result = await client.sale({ amountFen: 500 });
    expect(result).toMatchObject({ kind: 'unknown', reason: 'nak_exhausted', sent: true });
    expect(sim.frames).toHaveLength(3);
  });

  it('answer with a bad LRC is NAKed and the resend accepted', async () => {
    const { client, sim } = await mockClient('lrc1');
    sim.script({ corruptAnswer: 1 });
    approved(await client.sale({ amountFen: 700 }));
    expect(sim.naksReceived).toBe(1);
  });

  it('answer with a bad LRC every time: unknown, and the sale is not resent', async () => {
    const { client, sim } = await mockClient('lrc3');
    sim.script({ corruptAnswer: 3 });
    const result = await client.sale({ amountFen: 700 });
    expect(result).toMatchObject({ kind: 'unknown', reason: 'bad_lrc' });
    // The client NAKs every bad answer, the last one too (it reaches the simulator a tick later).
    await expect.poll(() => sim.naksReceived).toBe(3);
    expect(sim.saleFrameCount()).toBe(1);
  });

  it('unknown reasons map to stable device error codes', () => {
    expect(unknownReasonCode('answer_timeout')).toBe('DEVICE_TIMEOUT');
    expect(unknownReasonCode('ack_timeout')).toBe('DEVICE_TIMEOUT');
    expect(unknownReasonCode('disconnected')).toBe('DEVICE_DISCONNECTED');
    expect(unknownReasonCode('bad_lrc')).toBe('DEVICE_PROTOCOL');
    expect(unknownReasonCode('check_mismatch')).toBe('DEVICE_PROTOCOL');
  });

  it('no answer: unknown; queryLast resolves it; exactly one sale frame', async () => {
    const { client, sim, journal: j } = await mockClient('silent');
    sim.script({ result: 'silent' });
    const result = await client.sale({ amountFen: 4321 });
    expect(result).toMatchObject({ kind: 'unknown', reason: 'answer_timeout', sent: true });
    const last = approved(await client.queryLast());
    expect(last.amountFen).toBe(4321);
    expect(sim.frames.map((f) => f.type)).toEqual(['00', '07']);
    expect(sim.saleFrameCount()).toBe(1);
    expect(j.records).toHaveLength(1);
  });

  it('no ACK for a sale: unknown without a resend; a query is resent', async () => {
    const { client, sim } = await mockClient('noack');
    sim.script({ result: 'silent', noAck: true, completes: false });
    expect(await client.sale({ amountFen: 1 })).toMatchObject({ kind: 'unknown', reason: 'ack_timeout' });
    expect(sim.saleFrameCount()).toBe(1);
    sim.script({ result: 'silent', noAck: true }, { result: 'silent', noAck: true }, { result: 'silent', noAck: true });
    expect(await client.balance()).toMatchObject({ kind: 'unknown', reason: 'ack_timeout' });
    expect(sim.frames.filter((f) => f.type === '03')).toHaveLength(3);
  });

  it('a second request while one is outstanding is refused with DEVICE_BUSY', async () => {
    const { client, sim } = await mockClient('busy');
    sim.script({ delayMs: 100 });
    const first = client.sale({ amountFen: 100 });
    await expect(client.sale({ amountFen: 100 })).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    await expect(client.queryLast()).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    approved(await first);
    expect(sim.saleFrameCount()).toBe(1);
  });

  it('an answer with other check digits is not accepted as this sale', async () => {
    const { client, sim } = await mockClient('check');
    sim.script({ wrongCheck: true });
    const result = await client.sale({ amountFen: 100 });
    expect(result).toMatchObject({ kind: 'unknown', reason: 'check_mismatch' });
    if (result.kind === 'unknown') expect(result.stray?.check).toBe('999');
  });

  it('a late answer after the timeout is reported to onLateAnswer', async () => {
    const { client, sim } = await mockClient('late', { answerTimeoutMs: 150 });
    const late: MisResponse[] = [];
    client.onLateAnswer((r) => late.push(r));
    sim.script({ delayMs: 400 });
    expect(await client.sale({ amountFen: 990 })).toMatchObject({ kind: 'unknown', reason: 'answer_timeout' });
    await expect.poll(() => late.length, { timeout: 3000 }).toBe(1);
    expect(late[0]).toMatchObject({ amountFen: 990, returnCode: '00' });
  });

  it('a failing journal stops the sale before any byte', async () => {
    const p = '/dev/mock-terminal-journal';
    const wire = mockTerminal(p);
    const failing: CardJournal = {
      markSent: () => {
        throw new AppError('INTERNAL', 'disk full');
      },
    };
    const client = new CardTerminalClient(config(p), { portFactory: wire.factory, journal: failing, reconnect: null });
    cleanups.push(() => client.close());
    await client.open();
    await expect(client.sale({ amountFen: 100 })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(wire.received()).toBe(0);
    expect(client.busy).toBe(false);
  });

  it('not connected: DEVICE_DISCONNECTED and no journal entry; bad amount: AMOUNT_INVALID', async () => {
    const p = '/dev/mock-terminal-closed';
    const wire = mockTerminal(p);
    const j = journal(wire.received);
    const client = new CardTerminalClient(config(p), { portFactory: wire.factory, journal: j, reconnect: null });
    await expect(client.sale({ amountFen: 100 })).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await expect(client.sale({ amountFen: 0 })).rejects.toMatchObject({ code: 'AMOUNT_INVALID' });
    expect(j.records).toHaveLength(0);
  });

  it('refund and void put the originals on the wire; void and refund are journaled', async () => {
    const { client, sim, journal: j } = await mockClient('refund');
    approved(await client.refund({ amountFen: 300, originalDate: '20261122', originalReference: '123456789012' }));
    approved(await client.void({ originalVoucher: '000001' }));
    approved(await client.signOn());
    expect(sim.frames.map((f) => f.type)).toEqual(['02', '01', '05']);
    expect(j.records.map((r) => r.kind)).toEqual(['refund', 'void']);
    expect(j.records[0]!.request).toMatchObject({ originalDate: '20261122', originalReference: '123456789012' });
  });
});

describe.skipIf(!socat)('card terminal over a socat pty pair', () => {
  let modem: NullModem;
  let sim: TerminalSimulator;
  let client: CardTerminalClient;
  let j: RecordingJournal;
  let dir: string;

  async function setUp(over: Partial<CardTerminalConfig> = {}): Promise<void> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cashier-term-'));
    modem = await startNullModem(path.join(dir, 'ttyA'), path.join(dir, 'ttyB'));
    sim = await startTerminalSimulator({ path: modem.b });
    j = journal(() => sim.frames.length);
    client = new CardTerminalClient(config(modem.a, over), { portFactory: realPortFactory, journal: j, reconnect: null, watchIntervalMs: 50 });
    await client.open();
    cleanups.push(async () => {
      await client.close();
      await sim.close();
      await modem.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  it('success', async () => {
    await setUp();
    const response = approved(await client.sale({ amountFen: 12850 }));
    expect(response).toMatchObject({ amountFen: 12850, message: '交易成功', check: j.records[0]!.request.check });
    expect(j.bytesSeenAtMark).toEqual([0]);
    expect(sim.saleFrameCount()).toBe(1);
  });

  it('NAK then success', async () => {
    await setUp();
    sim.script({ nakRequest: 2 });
    approved(await client.sale({ amountFen: 200 }));
    expect(sim.frames.map((f) => f.naked)).toEqual([true, true, false]);
  });

  it('bad LRC on the answer: NAKed, resent, accepted; a declined sale after it', async () => {
    await setUp();
    sim.script({ corruptAnswer: 2 }, { result: 'decline', code: '51' });
    approved(await client.sale({ amountFen: 300 }));
    expect(sim.naksReceived).toBe(2);
    expect(await client.sale({ amountFen: 300 })).toMatchObject({ kind: 'declined', code: '51', message: '余额不足' });
  });

  it('timeout → unknown → queryLast resolves it; the simulator saw exactly one sale frame', async () => {
    await setUp();
    sim.script({ result: 'silent' });
    const result = await client.sale({ amountFen: 8888 });
    expect(result).toMatchObject({ kind: 'unknown', reason: 'answer_timeout' });
    const last = approved(await client.queryLast());
    expect(last.amountFen).toBe(8888);
    expect(sim.lastTransaction?.voucherNo).toBe(last.voucherNo);
    expect(sim.saleFrameCount()).toBe(1);
  });

  it('unplugged while the customer is at the PIN pad: unknown (disconnected), never resent', async () => {
    await setUp({ answerTimeoutMs: 10_000 });
    sim.script({ result: 'silent' });
    const pending = client.sale({ amountFen: 5000 });
    await expect.poll(() => sim.saleFrameCount()).toBe(1);
    await modem.stop();
    expect(await pending).toMatchObject({ kind: 'unknown', reason: 'disconnected', sent: true });
    expect(j.records).toHaveLength(1);
    expect(sim.saleFrameCount()).toBe(1);
  });
});
