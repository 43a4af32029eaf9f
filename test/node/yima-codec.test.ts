import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import {
  checkSignRule,
  classifyYimaAnswer,
  createOrderMessage,
  encodeForm,
  encodeJson,
  encodeRequest,
  encodeXml,
  extendParamsFor,
  maskCardNo,
  parseYimaBody,
  percentEncode,
  resultQueryMessage,
  signYimaMessage,
  sortedKvString,
  validateExtendParams,
  verifyYimaSign,
  YIMA_SIGN_RULES,
  type YimaMessage,
  type YimaSignRule,
  type YimaValue,
} from '../../src/core/gateways/yima/index';
import { AppError } from '../../src/shared/errors';
import { expectAppError } from '../support/errors';
import { SEED_CREATE_RESPONSE_JSON, SEED_CREATE_RESPONSE_XML, SEED_GOODS, SEED_JSON, SEED_MERCHANT, SEED_XML } from '../support/yima-seed';

const KEY = 'Yk9#key&01';
const md5 = (s: string): string => createHash('md5').update(Buffer.from(s, 'utf8')).digest('hex').toUpperCase();

function seedObject(): Record<string, YimaValue> {
  return JSON.parse(SEED_JSON) as Record<string, YimaValue>;
}

/** The seed's sample built by our code: the message builder for everything it validates, the seed's split as is. */
function ourSeedMessage(posSeq = '2018121400000004'): YimaMessage {
  const msg = createOrderMessage(SEED_MERCHANT, {
    posSeq,
    amountFen: 1,
    userId: 'user01',
    memo: '订单备注',
    notifyUrl: 'http://www.baidu.com/',
    goods: SEED_GOODS,
  });
  // The sample's split is invalid as an order (see the split tests); as an encoding vector it is added as is.
  (msg.bcm_ordercreate_request as Record<string, YimaValue>).extend_params = (seedObject().bcm_ordercreate_request as Record<string, YimaValue>)
    .extend_params as YimaValue;
  return msg;
}

function rulesFail(fn: () => unknown, rule: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BAD_INPUT');
    expect((err as AppError).details?.rule).toBe(rule);
    expect((err as AppError).message).toContain(rule);
    return;
  }
  throw new Error(`expected split rule ${rule} to refuse`);
}

describe('seed sample, field by field', () => {
  it('JSON: same members, same order, same values (sign aside: the rule is unknown)', () => {
    const { text } = encodeJson(ourSeedMessage(), 'sorted_kv_key', KEY);
    const ours = JSON.parse(text) as Record<string, YimaValue>;
    const seed = seedObject();
    expect(Object.keys(ours)).toEqual(Object.keys(seed));
    const { sign: oursSign, ...oursRest } = ours;
    const { sign: _seedSign, ...seedRest } = seed;
    expect(oursRest).toEqual(seedRest);
    expect(Object.keys(ours.bcm_ordercreate_request as object)).toEqual(Object.keys(seed.bcm_ordercreate_request as object));
    expect(oursSign).toMatch(/^[0-9A-F]{32}$/);
    // Numbers stay numbers where the seed has numbers, strings where it has strings.
    expect(typeof (ours.bcm_ordercreate_request as Record<string, YimaValue>).tx_amt).toBe('string');
    const goods = (ours.bcm_ordercreate_request as Record<string, YimaValue[]>).goods_detail;
    expect(goods?.[0]).toEqual({ goods_name: '啊ipad', quantity: 1, price: 200000 });
  });

  it('XML: GBK bytes, the seed prolog, CDATA for notify_url / goods_detail / extend_params, parsed equal to the seed', () => {
    const { text, bytes } = encodeXml(ourSeedMessage('1511300000002'));
    expect(text.startsWith('<?xml version="1.0" encoding="GBK"?>')).toBe(true);
    expect(text).toContain('<notify_url><![CDATA[http://www.baidu.com/]]></notify_url>');
    expect(text).toMatch(/<goods_detail><!\[CDATA\[\[\{"goods_name":"啊ipad"/);
    expect(text).toMatch(/<extend_params><!\[CDATA\[\{"split_flag":"R"/);
    expect(text).toContain('<pos_sn></pos_sn>');
    expect(text).not.toContain('<sign>');
    // Header elements in the seed's order.
    const order = (t: string): string[] => [...t.matchAll(/<(request_type|isspid|pos_id|store_id|pos_seq|user_id|system_id|memo)>/g)].map((m) => m[1] ?? '');
    expect(order(text)).toEqual(order(SEED_XML));
    // Bytes are GBK: 啊 = B0 A1, 额 = B6 EE; no UTF-8 (E5 95 8A) anywhere.
    expect(bytes.includes(Buffer.from([0xb0, 0xa1, 0x69, 0x70, 0x61, 0x64]))).toBe(true);
    expect(bytes.includes(Buffer.from([0xb6, 0xee, 0x69, 0x70, 0x61, 0x64, 0x32]))).toBe(true);
    expect(bytes.includes(Buffer.from('啊', 'utf8'))).toBe(false);
    const ours = parseYimaBody(bytes);
    const seed = parseYimaBody(iconv.encode(SEED_XML, 'gbk'));
    if ('error' in ours || 'error' in seed) throw new Error('unparseable');
    expect(ours.response.fields).toEqual(seed.response.fields);
    expect(seed.response.fields.bcm_ordercreate_request).toMatchObject({ terminal_id: '0001045907', tx_amt: '1', notify_url: 'http://www.baidu.com/' });
  });

  it('the raw GBK bytes of 啊 and 额 (not 铡)', () => {
    expect([...iconv.encode('啊', 'gbk')]).toEqual([0xb0, 0xa1]);
    expect([...iconv.encode('额', 'gbk')]).toEqual([0xb6, 0xee]);
    expect(iconv.decode(Buffer.from([0xd5, 0xa1]), 'gbk')).toBe('铡');
  });

  it('reads the seed responses in both formats', () => {
    const j = parseYimaBody(Buffer.from(SEED_CREATE_RESPONSE_JSON, 'utf8'));
    const x = parseYimaBody(iconv.encode(SEED_CREATE_RESPONSE_XML, 'gbk'));
    if ('error' in j || 'error' in x) throw new Error('unparseable');
    expect(j.response).toMatchObject({
      format: 'json',
      responseType: 'bcm_ordercreate_response',
      isspid: '39493002',
      posSeq: '2018121400000004',
      result: { id: '9998', comment: '创建订单成功' },
      signature: 'F6106656C20AB23B547B0C30DD819793',
    });
    expect(x.response).toMatchObject({
      format: 'xml',
      transport: 'raw',
      posSeq: '1511300000002',
      sysSeq: '0311095321465179',
      result: { id: '9998', comment: '创建订单成功' },
      signature: null,
    });
  });

  it('tolerant parsing: unknown nodes kept, a mislabelled request_type accepted, garbage refused without throwing', () => {
    const body = Buffer.from(
      JSON.stringify({
        request_type: 'bcm_ordercreate_response',
        isspid: '39493002',
        pos_seq: '2018121400000004',
        result: { id: '9998', comment: 'ok' },
        new_node: { a: [1] },
      }),
    );
    const p = parseYimaBody(body);
    if ('error' in p) throw new Error('unparseable');
    expect(p.response.responseType).toBe('bcm_ordercreate_response');
    expect(p.response.fields.new_node).toEqual({ a: [1] });
    const xml = iconv.encode(
      '<?xml version="1.0" encoding="GBK"?><business_trans><response_type>x</response_type><later_field><deep>额</deep></later_field></business_trans>',
      'gbk',
    );
    const px = parseYimaBody(xml);
    if ('error' in px) throw new Error('unparseable');
    expect(px.response.fields.later_field).toEqual({ deep: '额' });
    for (const garbage of ['', '<html><body>502</body></html>', '{"a":', 'xml=%ZZ', '[1,2]', '\u0000\u0001']) {
      expect('error' in parseYimaBody(Buffer.from(garbage))).toBe(true);
    }
  });

  it('refuses text GBK cannot carry instead of sending "?"', () => {
    const msg = createOrderMessage(SEED_MERCHANT, { posSeq: '2018121400000009', amountFen: 100, goods: [{ name: 'cake 🎂', quantity: 1, priceFen: 100 }] });
    expectAppError(() => encodeXml(msg), 'BAD_INPUT', 'xml');
    // JSON carries it (UTF-8).
    expect(encodeJson(msg, 'json_key', KEY).text).toContain('🎂');
  });

  it('form transport: xml= percent-encoded GBK bytes and mac = md5(key + xml + key), lower case', () => {
    const { bytes } = encodeXml(ourSeedMessage('1511300000002'));
    const form = encodeForm(bytes, KEY).toString('latin1');
    const mac = createHash('md5')
      .update(Buffer.concat([Buffer.from(KEY), bytes, Buffer.from(KEY)]))
      .digest('hex');
    expect(form).toBe(`xml=${percentEncode(bytes)}&mac=${mac}`);
    expect(form).toContain('%B0%A1ipad');
    const p = parseYimaBody(Buffer.from(form, 'latin1'));
    if ('error' in p) throw new Error('unparseable');
    expect(p.response.transport).toBe('form');
    expect(p.macBytes?.equals(bytes)).toBe(true);
  });
});

describe('signing rules: known answers computed here, not by the code under test', () => {
  const msg: YimaMessage = {
    request_type: 'bcm_resultquery_request',
    isspid: '39493002',
    pos_seq: '2018121400000005',
    memo: '',
    bcm_resultquery_request: { org_pos_seq: '2018121400000004' },
  };
  const kv = 'bcm_resultquery_request={"org_pos_seq":"2018121400000004"}&isspid=39493002&memo=&pos_seq=2018121400000005&request_type=bcm_resultquery_request';
  const compact =
    '{"request_type":"bcm_resultquery_request","isspid":"39493002","pos_seq":"2018121400000005","memo":"","bcm_resultquery_request":{"org_pos_seq":"2018121400000004"}}';
  // Literal digests from `printf … | md5sum` (coreutils), and the same texts through node:crypto here.
  const expected: Record<YimaSignRule, [string, string]> = {
    sorted_kv_key: ['7D8E29DC83B9E4C6540925060920D72A', `${kv}${KEY}`],
    sorted_kv_amp_key: ['6DE1F53A750439DDFFA063AF4CF25F86', `${kv}&key=${KEY}`],
    json_key: ['6B928906457F81CD960CB4A8A7B414BD', `${compact}${KEY}`],
    key_body_key: ['EE80D75D2F05F0DD11C84A8521BA51D4', `${KEY}${compact}${KEY}`],
  };

  it.each(YIMA_SIGN_RULES)('%s', (rule) => {
    const [literal, text] = expected[rule];
    expect(md5(text)).toBe(literal);
    expect(signYimaMessage(rule, msg, KEY)).toBe(literal);
    // A sign member present in the message is never part of what is signed.
    expect(signYimaMessage(rule, { ...msg, sign: 'X' }, KEY)).toBe(literal);
    expect(verifyYimaSign(rule, msg, KEY, literal.toLowerCase())).toBe(true);
    expect(verifyYimaSign(rule, msg, `${KEY}x`, literal)).toBe(false);
  });

  it('rule (a) with Chinese values hashes the UTF-8 bytes; rule (b) over compact JSON with nested arrays', () => {
    const m: YimaMessage = {
      request_type: 'bcm_ordercreate_request',
      memo: '订单备注',
      bcm_ordercreate_request: { goods_detail: [{ goods_name: '啊ipad', quantity: 1, price: 200000 }] },
    };
    expect(sortedKvString(m)).toBe(
      'bcm_ordercreate_request={"goods_detail":[{"goods_name":"啊ipad","quantity":1,"price":200000}]}&memo=订单备注&request_type=bcm_ordercreate_request',
    );
    expect(signYimaMessage('sorted_kv_key', m, KEY)).toBe('217DC3021C6F2287C041D0A9C6C80EE3');
    expect(signYimaMessage('json_key', m, KEY)).toBe('A03C68215DF01AD618490755285CCC56');
  });

  it('the four rules give four different signs (choosing one matters)', () => {
    expect(new Set(YIMA_SIGN_RULES.map((r) => signYimaMessage(r, msg, KEY))).size).toBe(4);
  });
});

describe('check a rule', () => {
  it.each(YIMA_SIGN_RULES)('identifies %s from a body signed with it', (rule) => {
    const body = encodeRequest(ourSeedMessage(), { format: 'json', xmlTransport: 'raw', signRule: rule }, KEY).text;
    const out = checkSignRule(body, KEY);
    expect(out).toEqual({ verdict: 'match', rules: [rule], format: 'json' });
    expect(JSON.stringify(out)).not.toContain(KEY);
  });

  it('works on a body pretty-printed by the sender (raw text with sign cut out)', () => {
    const m = ourSeedMessage();
    const sign = signYimaMessage('json_key', m, KEY);
    // Same member order, sent spaced: rule (b) over the compact form still verifies.
    const pretty = JSON.stringify({ ...m, sign }, null, 2);
    expect(checkSignRule(pretty, KEY)).toMatchObject({ verdict: 'match', rules: ['json_key'] });
  });

  it('says none for a tampered body or a wrong key, unsigned for the seed XML, and form_mac for a form', () => {
    const body = encodeRequest(ourSeedMessage(), { format: 'json', xmlTransport: 'raw', signRule: 'sorted_kv_key' }, KEY).text;
    expect(checkSignRule(body.replace('"tx_amt":"1"', '"tx_amt":"2"'), KEY)).toEqual({ verdict: 'none', format: 'json' });
    expect(checkSignRule(body, 'other-key')).toEqual({ verdict: 'none', format: 'json' });
    // The seed's own sample does not reproduce with a guessable key.
    expect(checkSignRule(SEED_JSON, KEY).verdict).toBe('none');
    expect(checkSignRule(SEED_XML, KEY)).toEqual({ verdict: 'unsigned', format: 'xml' });
    const { bytes } = encodeXml(ourSeedMessage('1511300000002'));
    const form = encodeForm(bytes, KEY).toString('latin1');
    expect(checkSignRule(form, KEY)).toEqual({ verdict: 'match', rules: ['form_mac'], format: 'form' });
    expect(checkSignRule(form.replace('%B0%A1', '%B6%EE'), KEY)).toEqual({ verdict: 'none', format: 'form' });
    expect(checkSignRule('not a body', KEY).verdict).toBe('unreadable');
  });
});

describe('split settlement: every rule of the seed, before sending', () => {
  const split = (ext: Record<string, YimaValue>, tx = 1000): void => validateExtendParams(ext, tx);
  const amt = (keep: string, ...divs: string[]): Record<string, YimaValue> => ({
    split_flag: 'R',
    split_info: { keep_amt: keep, split_list: divs.map((d, i) => ({ merchant_id: `1000000000000${i + 1}`, div_amt: d })) },
  });
  const pct = (keep: string, ...divs: string[]): Record<string, YimaValue> => ({
    split_flag: 'R',
    split_info: { is_clean_split: 'Y', keep_percentage: keep, split_list: divs.map((d, i) => ({ merchant_id: `1000000000000${i + 1}`, div_percentage: d })) },
  });

  it('the seed sample is refused as an order (plan_split_date with R), a corrected copy is valid', () => {
    const ext = (seedObject().bcm_ordercreate_request as Record<string, Record<string, YimaValue>>).extend_params as Record<string, YimaValue>;
    rulesFail(() => createOrderMessage(SEED_MERCHANT, { posSeq: '2018121400000004', amountFen: 1, extendParams: ext }), 'split.date_only_d');
    const { plan_split_date: _d, ...corrected } = ext;
    rulesFail(() => split(corrected, 1), 'split.amount_sum');
    expect(() => createOrderMessage(SEED_MERCHANT, { posSeq: '2018121400000004', amountFen: 1000, extendParams: corrected })).not.toThrow();
  });

  it.each<[string, Record<string, YimaValue>, number?]>([
    ['split.flag', { split_flag: 'X' }],
    ['split.n_no_info', { split_flag: 'N', split_info: amt('1000', '1').split_info as YimaValue }],
    ['split.d_no_info', { split_flag: 'D', split_info: amt('999', '1').split_info as YimaValue }],
    ['split.info_only_r', { split_info: amt('999', '1').split_info as YimaValue }],
    ['split.r_needs_info', { split_flag: 'R' }],
    ['split.date_only_d', { split_flag: 'N', plan_split_date: '20230418' }],
    ['split.date_format', { split_flag: 'D', plan_split_date: '20230231' }],
    ['split.date_format', { split_flag: 'D', plan_split_date: '2023-04-18' }],
    ['split.list_required', { split_flag: 'R', split_info: { keep_amt: '1000', split_list: [] } }],
    ['split.list_required', { split_flag: 'R', split_info: { keep_amt: '1000' } }],
    ['split.merchant_id', { split_flag: 'R', split_info: { keep_amt: '999', split_list: [{ div_amt: '1' }] } }],
    ['split.keep_amt_required', { split_flag: 'R', split_info: { split_list: [{ merchant_id: 'm', div_amt: '1000' }] } }],
    ['split.keep_amt_format', amt('1.5', '998')],
    ['split.keep_amt_format', amt('-1', '1001')],
    ['split.div_amt_positive', amt('1000', '0')],
    ['split.div_amt_positive', amt('990', '10.0')],
    ['split.amount_sum', amt('800', '150', '50'), 1],
    ['split.amount_sum', amt('800', '150', '49')],
    ['split.clean_flag', { split_flag: 'R', split_info: { is_clean_split: 'y', keep_amt: '999', split_list: [{ merchant_id: 'm', div_amt: '1' }] } }],
    ['split.keep_percentage_required', { split_flag: 'R', split_info: { is_clean_split: 'Y', split_list: [{ merchant_id: 'm', div_percentage: '100' }] } }],
    ['split.percentage_format', pct('50.255', '49.745')],
    ['split.percentage_format', pct('50', 'abc')],
    ['split.div_percentage_positive', pct('100', '0')],
    ['split.percentage_sum', pct('50.26', '23.55', '26.18')],
  ])('%s', (rule, ext, tx) => {
    rulesFail(() => split(ext, tx ?? 1000), rule);
  });

  it('valid plans pass: no extend_params, N, D with a date, R by amount (keep 0 allowed), clean split summing to 100 exactly', () => {
    expect(() => validateExtendParams(undefined, 1000)).not.toThrow();
    expect(() => split({ split_flag: 'N' })).not.toThrow();
    expect(() => split({ split_flag: 'D', plan_split_date: '20240229' })).not.toThrow();
    expect(() => split(amt('0', '600', '400'))).not.toThrow();
    expect(() => split(pct('50.26', '23.55', '26.19'))).not.toThrow();
  });

  it('a counter plan becomes extend_params with keep_amt = the rest; a plan larger than the sale is refused', () => {
    expect(extendParamsFor({ flag: 'R', receivers: [{ merchantId: '10000000000001', divAmtFen: 150 }] }, 1000)).toEqual({
      split_flag: 'R',
      split_info: { keep_amt: '850', split_list: [{ merchant_id: '10000000000001', div_amt: '150' }] },
    });
    rulesFail(() => extendParamsFor({ flag: 'R', receivers: [{ merchantId: 'm', divAmtFen: 1500 }] }, 1000), 'split.amount_sum');
    expect(extendParamsFor(null, 1000)).toBeUndefined();
  });
});

describe('order rules', () => {
  const base = { posSeq: '2018121400000004', amountFen: 1000 };
  it('tx_amt: whole fen, 1 … 999 999 999', () => {
    expect(() => createOrderMessage(SEED_MERCHANT, { ...base, amountFen: 999_999_999 })).not.toThrow();
    expectAppError(() => createOrderMessage(SEED_MERCHANT, { ...base, amountFen: 1_000_000_000 }), 'AMOUNT_TOO_LARGE');
    expectAppError(() => createOrderMessage(SEED_MERCHANT, { ...base, amountFen: 10.5 }), 'AMOUNT_INVALID');
    expectAppError(() => createOrderMessage(SEED_MERCHANT, { ...base, amountFen: 0 }), 'AMOUNT_INVALID');
  });
  it('terminal_id XOR pos_sn', () => {
    expectAppError(() => createOrderMessage({ ...SEED_MERCHANT, posSn: 'SN123' }, base), 'CONFIG_INVALID', 'yima.terminalId');
    expectAppError(() => createOrderMessage({ ...SEED_MERCHANT, terminalId: '' }, base), 'CONFIG_INVALID', 'yima.terminalId');
    const bySn = createOrderMessage({ ...SEED_MERCHANT, terminalId: '', posSn: 'SN123' }, base);
    expect(bySn.bcm_ordercreate_request).toMatchObject({ pos_sn: 'SN123', terminal_id: '' });
  });
  it('pos_seq: more than 12, at most 32 characters; a poll has its own', () => {
    expectAppError(() => createOrderMessage(SEED_MERCHANT, { ...base, posSeq: '123456789012' }), 'BAD_INPUT', 'pos_seq');
    expectAppError(() => createOrderMessage(SEED_MERCHANT, { ...base, posSeq: '1'.repeat(33) }), 'BAD_INPUT', 'pos_seq');
    expect(() => createOrderMessage(SEED_MERCHANT, { ...base, posSeq: '1234567890123' })).not.toThrow();
    expectAppError(() => resultQueryMessage(SEED_MERCHANT, '2018121400000004', '2018121400000004'), 'BAD_INPUT', 'pos_seq');
    expect(resultQueryMessage(SEED_MERCHANT, '2018121400000005', '2018121400000004').bcm_resultquery_request).toEqual({ org_pos_seq: '2018121400000004' });
    expect(resultQueryMessage({ ...SEED_MERCHANT, terminalId: '', posSn: 'SN1' }, '2018121400000005', '2018121400000004').bcm_resultquery_request).toEqual({
      org_pos_seq: '2018121400000004',
      pos_sn: 'SN1',
    });
  });
  it('lengths count GBK bytes (a Chinese character = 2)', () => {
    expect(() => createOrderMessage(SEED_MERCHANT, { ...base, memo: '订'.repeat(64) })).not.toThrow();
    expectAppError(() => createOrderMessage(SEED_MERCHANT, { ...base, memo: '订'.repeat(65) }), 'BAD_INPUT', 'memo');
    expectAppError(() => createOrderMessage({ ...SEED_MERCHANT, isspid: '394930021' }, base), 'CONFIG_INVALID', 'yima.isspid');
  });
});

describe('answers bound to the question', () => {
  const profile = { signRule: 'sorted_kv_key' as const, requireSignedResponses: false, bindPosId: false };
  const merchant = { isspid: '39493002', posId: '1511300001', systemId: '8888' };
  const answer = (fields: Record<string, YimaValue>): Buffer => Buffer.from(encodeJson(fields, 'sorted_kv_key', KEY).text);
  const classify = (body: Buffer, posSeq = '2018121400000005', op: 'create' | 'resultquery' = 'resultquery', p = profile) =>
    classifyYimaAnswer({
      op,
      requestType: op === 'create' ? 'bcm_ordercreate_request' : 'bcm_resultquery_request',
      httpStatus: 200,
      body,
      key: KEY,
      profile: p,
      merchant,
      posSeq,
    }).outcome;
  const paid = (over: Record<string, YimaValue> = {}): Record<string, YimaValue> => ({
    response_type: 'bcm_resultquery_response',
    isspid: '39493002',
    pos_seq: '2018121400000005',
    result: { id: '0000', comment: '成功' },
    bcm_res_info: {
      order_id: 'YM1',
      mid: '898310048990001',
      tid: '10459070',
      batch_no: '000001',
      trace_no: '000123',
      ref_no: '123456789012',
      card_no: '6225881234567890',
    },
    ...over,
  });

  it('maps the table: 0000+info paid (card masked 6/4), 9998 waiting, other id failed, 0000 without info unknown', () => {
    const p = classify(answer(paid()));
    expect(p.kind).toBe('paid');
    if (p.kind === 'paid')
      expect(p.paid).toMatchObject({ orderId: 'YM1', refNo: '123456789012', cardNoMasked: '622588******7890', batchNo: '000001', traceNo: '000123' });
    expect(classify(answer({ ...paid(), result: { id: '9998', comment: '等待' } })).kind).toBe('waiting');
    expect(classify(answer({ ...paid(), result: { id: '9990', comment: '余额不足' } }))).toMatchObject({ kind: 'failed', result: { comment: '余额不足' } });
    const { bcm_res_info: _i, ...noInfo } = paid();
    expect(classify(answer(noInfo)).kind).toBe('unknown');
    expect(classify(answer({ ...paid(), result: { id: '6100', comment: '签名错误' } })).kind).toBe('unknown');
    expect(
      classify(
        answer({ ...paid({ response_type: 'bcm_ordercreate_response' }), pos_seq: '2018121400000004', result: { id: '9998', comment: '' } }),
        '2018121400000004',
        'create',
      ).kind,
    ).toBe('pushed');
  });

  it('an answer about another pos_seq, merchant, order or amount is not counted', () => {
    expect(classify(answer(paid({ pos_seq: '2018121400000099' })))).toMatchObject({ kind: 'transport_unknown', reason: 'mismatch' });
    expect(classify(answer(paid({ isspid: '11111111' })))).toMatchObject({ kind: 'transport_unknown', reason: 'mismatch' });
    expect(classify(answer(paid({ response_type: 'bcm_ordercreate_response' })))).toMatchObject({ kind: 'transport_unknown', reason: 'mismatch' });
    // A mislabelled request_type carrying the response type is accepted.
    const { response_type: _rt, ...rest } = paid();
    expect(classify(answer({ request_type: 'bcm_resultquery_response', ...rest })).kind).toBe('paid');
    expect(classify(answer(paid({ pos_id: '6666666666' })), undefined, 'resultquery', { ...profile, bindPosId: true })).toMatchObject({ reason: 'mismatch' });
    expect(classify(answer(paid({ pos_id: '6666666666' }))).kind).toBe('paid');
  });

  it('signature: a bad sign is refused; a missing one only when required', () => {
    const good = answer(paid());
    const tampered = Buffer.from(good.toString().replace('123456789012', '999999999999'));
    expect(classify(tampered)).toMatchObject({ kind: 'transport_unknown', reason: 'bad_signature' });
    const unsigned = Buffer.from(JSON.stringify(paid()));
    expect(classify(unsigned).kind).toBe('paid');
    expect(classify(unsigned, undefined, 'resultquery', { ...profile, requireSignedResponses: true })).toMatchObject({ reason: 'bad_signature' });
    expect(
      classifyYimaAnswer({
        op: 'resultquery',
        requestType: 'bcm_resultquery_request',
        httpStatus: 502,
        body: good,
        key: KEY,
        profile,
        merchant,
        posSeq: '2018121400000005',
      }).outcome,
    ).toMatchObject({ reason: 'http_status' });
  });

  it('card numbers are masked first 6 / last 4', () => {
    expect(maskCardNo('6225881234567890')).toBe('622588******7890');
    expect(maskCardNo('622588******7890')).toBe('622588******7890');
    expect(maskCardNo('1234')).toBe('****');
  });
});
