import Database from 'better-sqlite3';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { checkBinding } from '../../src/core/gateways/bpc/binding';
import { classifyResponse } from '../../src/core/gateways/bpc/client';
import { notificationTraces, parseNotification } from '../../src/core/gateways/bpc/notify-listener';
import { signBpcBody } from '../../src/core/gateways/bpc/sign';
import { encodeXml, parseYimaBody } from '../../src/core/gateways/yima/codec';
import { handleYimaNotification } from '../../src/core/gateways/yima/notify-listener';
import { YIMA_SIGN_RULES } from '../../src/core/gateways/yima/sign';
import { encodeFrame, FrameDecoder, type LinkEvent } from '../../src/core/devices/frame';
import { decodeMisResponse } from '../../src/core/devices/mis';
import { pairLines, wrapText } from '../../src/core/devices/receipt-encoder';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { startWebHost, type WebHost } from '../../src/core/web/host';
import { createWsBridge } from '../../src/renderer/src/bridge/ws-client';
import { AppError, ERROR_CODES } from '../../src/shared/errors';
import { channels, type ChannelName } from '../../src/shared/ipc/contract';
import type { PosBridge } from '../../src/shared/ipc/types';
import { BPC_MAX_FEN, formatFen, parseYuanToFen } from '../../src/shared/money';
import { tempDir } from '../support/temp';

/**
 * Property-based fuzzing (issue 13.3) with fast-check: what comes from outside — bank answers and
 * notifications, Yima bodies in JSON, GBK XML and form encoding, serial frames and MIS payloads, typed
 * amounts, and every IPC channel's input over the real WebSocket host — gives a typed result or a typed
 * error, never a crash, and a rejected input changes nothing. `FUZZ_RUNS` scales the runs (default 1000
 * per property; a failure prints its seed and the shrunk counterexample, reproducible with `seed`).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const params = { numRuns: RUNS };
const KEY = 'fuzz-key-0123456789abcdef';
const MID = '104320170118888';

/** JSON-ish values as gateways send them (strings, numbers, nesting, odd keys), plus plain garbage text. */
const jsonText = fc.oneof(
  fc.json(),
  fc.string(),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc
    .record(
      {
        respCode: fc.oneof(fc.constantFrom('00', '77', '88', '99', '01', ''), fc.string()),
        respMsg: fc.string(),
        mid: fc.oneof(fc.constant(MID), fc.string(), fc.integer()),
        sysTrace: fc.oneof(fc.string(), fc.integer()),
        orgSysTrace: fc.string(),
        txnAmt: fc.oneof(fc.constant('000000001234'), fc.string(), fc.integer()),
        tradeNo: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);

describe('fuzz: BPC answers and notifications', () => {
  it('any answer body, signed or not: classified into a known outcome, never a throw; unsigned is never trusted when signatures are required', () => {
    fc.assert(
      fc.property(jsonText, fc.boolean(), fc.boolean(), fc.integer({ min: 100, max: 599 }), (text, signIt, required, status) => {
        const sign = signIt ? signBpcBody(text, KEY) : undefined;
        const out = classifyResponse(status, text, sign, KEY, { requireSignedResponses: required });
        expect(['success', 'failed', 'waiting', 'unknown', 'rejected', 'transport_unknown']).toContain(out.kind);
        if (required && !signIt) expect(out.kind).toBe('transport_unknown');
        if (status < 200 || status > 299) expect(out.kind).toBe('transport_unknown');
      }),
      params,
    );
  });

  it('a signed success naming another merchant, another trace or another amount is never bound to our question', () => {
    fc.assert(
      fc.property(
        fc.record({ mid: fc.string({ minLength: 1 }), orgSysTrace: fc.string({ minLength: 1 }), txnAmt: fc.integer({ min: 1, max: 999_999 }) }),
        fc.constantFrom('mid', 'orgSysTrace', 'txnAmt'),
        (foreign, which) => {
          const ours = { mid: MID, orgSysTrace: 'T-OURS-0001', txnAmt: 1234 };
          const body = { ...ours, [which]: foreign[which] };
          fc.pre(String(body[which]) !== String(ours[which]));
          const text = JSON.stringify({
            respCode: '00',
            respMsg: 'ok',
            mid: body.mid,
            orgSysTrace: body.orgSysTrace,
            txnAmt: String(body.txnAmt).padStart(12, '0'),
          });
          const outcome = classifyResponse(200, text, signBpcBody(text, KEY), KEY, { requireSignedResponses: true });
          expect(outcome.kind).toBe('success');
          const failure = checkBinding('G', { tranType: 'G', mid: MID, orgSysTrace: ours.orgSysTrace }, outcome, { amountFen: ours.txnAmt });
          expect(failure?.field).toBe(which);
        },
      ),
      params,
    );
  });

  it('any notification body: parsed or refused (null), never a throw; traces are strings or null', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const n = parseNotification(text);
        if (n === null) return;
        const traces = notificationTraces(n);
        if (traces !== null) for (const t of traces) expect(typeof t).toBe('string');
      }),
      params,
    );
  });
});

/** Chinese text that GBK can carry (common hanzi, ASCII, full-width punctuation). */
const gbkText = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCodePoint(c)),
      fc.constantFrom(...'abcXYZ019 -_（），。：'),
    ),
    { maxLength: 24 },
  )
  .map((cs) => cs.join(''))
  .filter((s) => iconv.decode(iconv.encode(s, 'gbk'), 'gbk') === s);

describe('fuzz: Yima envelopes', () => {
  const bodies = fc.oneof(
    jsonText.map((t) => Buffer.from(t, 'utf8')),
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
    gbkText.map((t) =>
      iconv.encode(
        `<?xml version="1.0" encoding="GBK"?><business_trans><response_type>bcm_resultquery_response</response_type><memo>${t}</memo></business_trans>`,
        'gbk',
      ),
    ),
    fc.string().map((t) => Buffer.from(`<?xml version="1.0" encoding="GBK"?><business_trans>${t}</business_trans>`, 'latin1')),
    fc.tuple(fc.string(), fc.string()).map(([x, m]) => Buffer.from(`xml=${encodeURIComponent(x)}&mac=${m}`, 'latin1')),
  );

  it('any body (JSON, GBK XML, form, bytes): parsed or a typed parse error, never a throw', () => {
    fc.assert(
      fc.property(bodies, (bytes) => {
        const parsed = parseYimaBody(bytes);
        if ('error' in parsed) expect(typeof parsed.error).toBe('string');
        else expect(typeof parsed.response).toBe('object');
      }),
      params,
    );
  });

  it('any notification body: an answer in an envelope with an HTTP status; unsigned ones refused when signatures are required', () => {
    fc.assert(
      fc.property(bodies, fc.constantFrom(...YIMA_SIGN_RULES), (bytes, signRule) => {
        const h = handleYimaNotification(bytes, { isspid: 'ISSPID01', signRule, getKey: () => KEY, requireSigned: true });
        expect(h.status).toBeGreaterThanOrEqual(200);
        expect(h.body.length).toBeGreaterThan(0);
        // Random bytes are never a signed notification: nothing may be taken from them.
        expect(h.notification).toBeNull();
      }),
      params,
    );
  });

  it('GBK XML round trip: Chinese text encoded to GBK bytes and parsed back is byte-exact', () => {
    fc.assert(
      // (Leading and trailing blanks of an XML text node are not kept: the parser trims them.)
      fc.property(
        gbkText.filter((t) => t === t.trim()),
        (memo) => {
          const { bytes } = encodeXml({ request_type: 'bcm_ordercreate_request', isspid: 'ISSPID01', memo, tx_amt: 1234 });
          const parsed = parseYimaBody(bytes);
          if ('error' in parsed) throw new Error(parsed.detail);
          expect(parsed.response.fields.memo ?? '').toBe(memo);
        },
      ),
      { numRuns: Math.max(50, Math.floor(RUNS / 4)) },
    );
  });
});

describe('fuzz: serial frames and MIS payloads', () => {
  it('any bytes in any chunking: only link events come out, and the decoder never holds more than one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new FrameDecoder();
        for (const c of chunks) {
          for (const e of d.push(c)) expect(['ack', 'nak', 'frame', 'bad_lrc', 'garbage']).toContain(e.kind);
        }
        expect(d.pending).toBeLessThanOrEqual(4096);
      }),
      params,
    );
  });

  it('a framed payload split anywhere, with line noise before it, comes out whole exactly once', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }),
        fc.uint8Array({ maxLength: 5 }),
        (data, cuts, noise) => {
          const clean = Buffer.from(noise).filter((b) => b !== 0x02 && b !== 0x06 && b !== 0x15);
          const bytes = Buffer.concat([Buffer.from(clean), encodeFrame(data)]);
          const d = new FrameDecoder();
          const events: LinkEvent[] = [];
          let at = 0;
          for (const n of cuts) {
            events.push(...d.push(bytes.subarray(at, at + n)));
            at += n;
          }
          events.push(...d.push(bytes.subarray(at)));
          const frames = events.filter((e) => e.kind === 'frame');
          expect(frames).toHaveLength(1);
          expect(Buffer.compare(frames[0]!.data, Buffer.from(data))).toBe(0);
        },
      ),
      params,
    );
  });

  it('any MIS response payload: decoded (card number masked) or a typed AppError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.string().map((s) => Buffer.from(s, 'latin1')),
        ),
        (buf) => {
          try {
            const r = decodeMisResponse(buf);
            expect(r.cardNo.replace(/\*/g, '').length).toBeLessThanOrEqual(10);
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
          }
        },
      ),
      params,
    );
  });
});

describe('fuzz: receipt width rules', () => {
  it('wrapped and paired lines never exceed the paper and never split a double-byte character', () => {
    fc.assert(
      fc.property(gbkText, gbkText, fc.constantFrom(32, 48), (a, b, width) => {
        for (const line of [...wrapText(a, width, 'gbk'), ...pairLines(a, b, width, 'gbk')]) {
          expect(line.length).toBeLessThanOrEqual(width);
          // A split double-byte character would not survive the round trip.
          const back = iconv.decode(line, 'gbk');
          expect(back.includes('\ufffd')).toBe(false);
          expect(iconv.encode(back, 'gbk').equals(line)).toBe(true);
        }
      }),
      params,
    );
  });
});

describe('fuzz: amounts typed at the counter', () => {
  it('any text: a positive whole number of fen or AMOUNT_INVALID, never a float, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9.\s-]{0,16}$/), fc.double().map(String)), (text) => {
        try {
          const fen = parseYuanToFen(text);
          expect(Number.isSafeInteger(fen) && fen > 0).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('AMOUNT_INVALID');
        }
      }),
      params,
    );
  });

  it('every fen amount survives format → parse exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: BPC_MAX_FEN }), (fen) => {
        expect(parseYuanToFen(formatFen(fen))).toBe(fen);
      }),
      params,
    );
  });
});

describe('fuzz: every IPC channel over the WebSocket host', () => {
  let core: Core;
  let host: WebHost;
  let bridge: PosBridge & { close(): void };
  const data = tempDir('fuzz-ipc-');

  beforeAll(async () => {
    core = await startCore({ dataDir: data.dir, version: '9.9.9-fuzz', platform: 'web', cipher: createFileKeyCipher(data.dir), logger: silentLogger });
    host = await startWebHost({ dispatch: core.dispatch, bus: core.bus, logger: silentLogger, staticDir: tempDir().dir });
    const page = new URL(host.url);
    bridge = createWsBridge(`ws://${page.host}/ipc?token=${page.searchParams.get('token')}`);
    // Signed in, so inputs reach validation instead of stopping at "sign in first".
    const signed = await bridge.invoke('session:signIn', { code: '001', pin: '1111' });
    expect(signed.ok).toBe(true);
  });

  afterAll(async () => {
    bridge.close();
    await host.close();
    await core.close();
    data.cleanup();
  });

  const counts = (): Record<string, number> => {
    const db = new Database(join(data.dir, 'ledger.sqlite'), { readonly: true });
    try {
      const n = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { payments: n('payments'), refunds: n('refunds'), events: n('events'), settings: n('settings') };
    } finally {
      db.close();
    }
  };

  it('random inputs to every channel: only typed errors come back, the ledger is unchanged, the host still answers', { timeout: 300_000 }, async () => {
    const names = Object.keys(channels) as ChannelName[];
    const before = counts();
    const perChannel = Math.max(20, Math.floor((RUNS * 3) / names.length));
    // INTERNAL is what an unexpected throw becomes: never an answer to bad input.
    const codes = new Set<string>(ERROR_CODES.filter((c) => c !== 'INTERNAL'));
    let sent = 0;
    for (const name of names) {
      const schema = channels[name].input;
      const inputs = fc.sample(fc.oneof(fc.anything(), fc.object(), fc.jsonValue()), { numRuns: perChannel, seed: sent + 1 });
      for (const raw of inputs) {
        // What the host receives is the JSON of the input (functions, symbols and undefined fields drop
        // out, so `{ toString: fn }` arrives as `{}`): judge that, not the JavaScript value.
        const text = JSON.stringify(raw);
        const input: unknown = text === undefined ? undefined : JSON.parse(text);
        // Only rejected inputs: a valid one would legitimately act (that is the contract suite's job).
        if (schema.safeParse(input).success) continue;
        const r = await bridge.invoke(name, input as never);
        sent += 1;
        expect(r.ok, `${name} accepted ${JSON.stringify(input)}`).toBe(false);
        if (!r.ok) expect(codes.has(r.error.code), `${name}: ${r.error.code}`).toBe(true);
      }
    }
    expect(sent).toBeGreaterThan(names.length * 10);
    expect(counts()).toEqual(before);
    const info = await bridge.invoke('app:info', undefined);
    expect(info.ok).toBe(true);
  });
});
