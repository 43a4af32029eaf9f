import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import iconv from 'iconv-lite';
import { AppError } from '../../../shared/errors';
import { formMac, signYimaMessage, verifyFormMac, verifyYimaSign, type YimaSignRule } from './sign';
import type { YimaFormat, YimaMessage, YimaResponse, YimaResult, YimaValue, YimaXmlTransport } from './wire';

/**
 * Yima's two body formats (seed 4.15): JSON (flat header, business object keyed by the request type,
 * top-level `sign`) and XML `business_trans` in GBK bytes, nested JSON (`goods_detail`, `extend_params`)
 * and `notify_url` inside CDATA. Built and parsed with fast-xml-parser, encoded with iconv-lite.
 */

export const XML_PROLOG = '<?xml version="1.0" encoding="GBK"?>';
/** Business fields that travel as CDATA in XML even when they are plain text (seed: notify_url). */
const CDATA_TEXT_FIELDS = new Set(['notify_url']);

export interface EncodeOptions {
  format: YimaFormat;
  xmlTransport: YimaXmlTransport;
  signRule: YimaSignRule;
}

/** One encoded request: the exact bytes to send, their content type, and a key-free text for the journal. */
export interface EncodedRequest {
  body: Buffer;
  contentType: string;
  /** The message text (JSON with its sign, or the XML; for form: the XML, the mac masked). */
  text: string;
}

/** Content types [guess]: not in our material, the usual ones for each body. */
export const YIMA_CONTENT_TYPES = {
  json: 'application/json; charset=UTF-8',
  xml: 'text/xml; charset=GBK',
  form: 'application/x-www-form-urlencoded; charset=GBK',
} as const;

/** GBK bytes of a text; refuses text GBK cannot carry instead of letting iconv put "?" in a sale. */
export function toGbk(text: string, field = 'text'): Buffer {
  const bytes = iconv.encode(text, 'gbk');
  if (iconv.decode(bytes, 'gbk') !== text) {
    throw new AppError('BAD_INPUT', `${field} contains characters that GBK cannot carry`, { field });
  }
  return bytes;
}

/** Length as Yima counts String(n) [guess, sister documents]: GBK bytes, a Chinese character = 2. */
export function gbkLength(text: string): number {
  return iconv.encode(text, 'gbk').length;
}

/** JSON body: the message without sign, then the sign as the last member (sign covers exactly this message). */
export function encodeJson(message: YimaMessage, signRule: YimaSignRule, key: string): { text: string; sign: string } {
  const { sign: _drop, ...rest } = message;
  const sign = signYimaMessage(signRule, rest, key);
  return { text: JSON.stringify({ ...rest, sign }), sign };
}

/** JSON text safe inside CDATA: `>` escaped as \u003e (same JSON value), so "]]>" can never occur. */
function cdataJson(value: YimaValue): string {
  return JSON.stringify(value).replace(/>/g, '\\u003e');
}

const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function xmlNode(name: string, value: YimaValue, inBusiness: boolean): unknown {
  if (value !== null && typeof value === 'object') {
    if (inBusiness || Array.isArray(value)) return { __cdata: cdataJson(value) };
    // A nested object in the header (e.g. `result`) becomes elements.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = xmlNode(k, v, false);
    return out;
  }
  const text = value === null ? '' : String(value);
  if (XML_FORBIDDEN.test(text)) throw new AppError('BAD_INPUT', `${name} contains control characters`, { field: name });
  if (inBusiness && CDATA_TEXT_FIELDS.has(name)) {
    if (text.includes(']]>')) throw new AppError('BAD_INPUT', `${name} must not contain "]]>"`, { field: name });
    return { __cdata: text };
  }
  return text;
}

const builder = new XMLBuilder({ format: false, cdataPropName: '__cdata', suppressEmptyNode: false, processEntities: true, ignoreAttributes: true });

/**
 * XML text of a message: header fields as elements, the object named like the request type as an element
 * whose object/array fields (goods_detail, extend_params) are JSON in CDATA, notify_url in CDATA.
 * `sign` is left out (the seed's XML carries none).
 */
export function xmlText(message: YimaMessage): string {
  const root: Record<string, unknown> = {};
  const requestType = typeof message.request_type === 'string' ? message.request_type : '';
  for (const [k, v] of Object.entries(message)) {
    if (k === 'sign') continue;
    if (k === requestType && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const business: Record<string, unknown> = {};
      for (const [bk, bv] of Object.entries(v)) business[bk] = xmlNode(bk, bv, true);
      root[k] = business;
    } else {
      root[k] = xmlNode(k, v, false);
    }
  }
  return `${XML_PROLOG}\n${builder.build({ business_trans: root })}`;
}

/** GBK bytes of the XML form of a message. */
export function encodeXml(message: YimaMessage): { text: string; bytes: Buffer } {
  const text = xmlText(message);
  return { text, bytes: toGbk(text, 'xml') };
}

/** Percent-encodes bytes for a form field (GBK bytes stay bytes; unreserved ASCII stays as is). */
export function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.*]/.test(c) ? c : b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes a form field's value into bytes (`+` = space); null when the escapes are broken. */
export function percentDecode(text: string): Buffer | null {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (c === 0x2b) out.push(0x20);
    else if (c < 0x80) out.push(c);
    else return null;
  }
  return Buffer.from(out);
}

/** `xml=<GBK XML>&mac=md5(key + xml + key)` [guess, Yima's older platforms]. */
export function encodeForm(xmlBytes: Buffer, key: string): Buffer {
  const mac = formMac(xmlBytes, toGbk(key, 'key'));
  return Buffer.from(`xml=${percentEncode(xmlBytes)}&mac=${mac}`, 'latin1');
}

/** Encodes a request in the configured format; the key goes only into the sign/mac, never into `text`. */
export function encodeRequest(message: YimaMessage, options: EncodeOptions, key: string): EncodedRequest {
  if (options.format === 'json') {
    const { text } = encodeJson(message, options.signRule, key);
    return { body: Buffer.from(text, 'utf8'), contentType: YIMA_CONTENT_TYPES.json, text };
  }
  const { text, bytes } = encodeXml(message);
  if (options.xmlTransport === 'form') {
    return { body: encodeForm(bytes, key), contentType: YIMA_CONTENT_TYPES.form, text };
  }
  return { body: bytes, contentType: YIMA_CONTENT_TYPES.xml, text };
}

// ---------------------------------------------------------------------------------------------- parsing

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  cdataPropName: false,
  processEntities: true,
  htmlEntities: false,
});

/** Why a body could not be read at all. */
export type YimaParseError = { error: 'empty' | 'not_json' | 'not_xml' | 'bad_form' | 'not_a_message'; detail: string };

const startsWithForm = (ascii: string): boolean => /^\s*xml=/.test(ascii);

/** The XML's declared encoding (default GBK when absent, as Yima's always are). */
function declaredEncoding(bytes: Buffer): string {
  const head = bytes.subarray(0, 200).toString('latin1');
  const m = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/.exec(head);
  const enc = (m?.[1] ?? 'GBK').toLowerCase();
  return enc === 'utf-8' || enc === 'utf8' ? 'utf8' : iconv.encodingExists(enc) ? enc : 'gbk';
}

function decodeJsonText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Some platforms send GBK JSON; read it rather than refuse an answer about money.
    return iconv.decode(bytes, 'gbk');
  }
}

function toValue(node: unknown): YimaValue {
  if (node === null || node === undefined) return '';
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return node;
  if (Array.isArray(node)) return node.map(toValue);
  if (typeof node === 'object') {
    const out: Record<string, YimaValue> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = toValue(v);
    return out;
  }
  return '';
}

/** An XML text value that is JSON (CDATA goods_detail / extend_params / bcm_res_info) read as JSON. */
function unwrapJsonText(value: YimaValue): YimaValue {
  if (typeof value !== 'string') return value;
  const t = value.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return value;
  try {
    return toValue(JSON.parse(t));
  } catch {
    return value;
  }
}

function parseXmlText(text: string): { fields: Record<string, YimaValue> } | YimaParseError {
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch (err) {
    return { error: 'not_xml', detail: err instanceof Error ? err.message.slice(0, 200) : 'XML does not parse' };
  }
  const root = (doc as Record<string, unknown>).business_trans;
  if (root === undefined || root === null || typeof root !== 'object' || Array.isArray(root)) {
    return { error: 'not_a_message', detail: 'no <business_trans> root' };
  }
  const fields: Record<string, YimaValue> = {};
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    const value = toValue(v);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const inner: Record<string, YimaValue> = {};
      for (const [ik, iv] of Object.entries(value)) inner[ik] = unwrapJsonText(iv);
      fields[k] = inner;
    } else fields[k] = unwrapJsonText(value);
  }
  return { fields };
}

function parseForm(ascii: string): { xml: Buffer; mac: string | null } | YimaParseError {
  let xml: Buffer | null = null;
  let mac: string | null = null;
  for (const part of ascii.trim().split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (value === null) return { error: 'bad_form', detail: `field ${name.slice(0, 16)} has broken escapes` };
    if (name === 'xml') xml = value;
    else if (name === 'mac') mac = value.toString('latin1');
  }
  if (xml === null) return { error: 'bad_form', detail: 'form has no xml field' };
  return { xml, mac };
}

const str = (v: YimaValue | undefined): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function readResult(v: YimaValue | undefined): YimaResult | null {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return null;
  const id = str(v.id);
  if (id === '') return null;
  return { id, comment: str(v.comment) };
}

function toResponse(
  fields: Record<string, YimaValue>,
  format: YimaFormat,
  transport: YimaResponse['transport'],
  text: string,
  signature: string | null,
): YimaResponse {
  const responseType = str(fields.response_type) || str(fields.request_type);
  return {
    format,
    transport,
    responseType,
    isspid: str(fields.isspid),
    posId: str(fields.pos_id),
    posSeq: str(fields.pos_seq),
    sysSeq: str(fields.sys_seq),
    transTime: str(fields.trans_time),
    result: readResult(fields.result),
    fields,
    signature,
    text,
  };
}

/** What a received body turned out to be, with what its signature needs for verification. */
export interface ParsedBody {
  response: YimaResponse;
  /** For form bodies: the XML bytes the mac covers. */
  macBytes: Buffer | null;
}

/**
 * Reads any Yima body tolerantly, sniffing its format (JSON, raw XML, or form `xml=&mac=`), whatever
 * format we asked in: unknown nodes kept, a mislabelled `request_type` accepted. Never throws: a body
 * that breaks the reader (nesting deep enough to exhaust the stack) is unreadable like any garbage —
 * a throw here would leave the client's caller believing nothing was sent.
 */
export function parseYimaBody(bytes: Buffer): ParsedBody | YimaParseError {
  try {
    return readYimaBody(bytes);
  } catch (error) {
    return { error: 'not_a_message', detail: error instanceof Error ? error.message.slice(0, 200) : 'body could not be read' };
  }
}

function readYimaBody(bytes: Buffer): ParsedBody | YimaParseError {
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const ascii = body.subarray(0, 64).toString('latin1');
  if (ascii.trim() === '' && body.length < 64) return { error: 'empty', detail: 'empty body' };
  if (startsWithForm(ascii)) {
    const form = parseForm(body.toString('latin1'));
    if ('error' in form) return form;
    const text = iconv.decode(form.xml, declaredEncoding(form.xml));
    const xml = parseXmlText(text);
    if ('error' in xml) return xml;
    return { response: toResponse(xml.fields, 'xml', 'form', text, form.mac), macBytes: form.xml };
  }
  const first = ascii.trimStart()[0];
  if (first === '<') {
    const text = iconv.decode(body, declaredEncoding(body));
    const xml = parseXmlText(text);
    if ('error' in xml) return xml;
    const sign = str(xml.fields.sign);
    return { response: toResponse(xml.fields, 'xml', 'raw', text, sign === '' ? null : sign), macBytes: null };
  }
  const text = decodeJsonText(body);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'not_json', detail: 'body is neither JSON nor XML' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not_a_message', detail: 'JSON is not an object' };
  const fields = toValue(value) as Record<string, YimaValue>;
  const sign = str(fields.sign);
  return { response: toResponse(fields, 'json', 'json', text, sign === '' ? null : sign), macBytes: null };
}

/** Signature state of a parsed body: `ok`, `bad` (present, does not verify) or `absent`. */
export function signatureState(parsed: ParsedBody, rule: YimaSignRule, key: string): 'ok' | 'bad' | 'absent' {
  const r = parsed.response;
  if (r.signature === null) return 'absent';
  if (parsed.macBytes !== null) return verifyFormMac(parsed.macBytes, toGbk(key, 'key'), r.signature) ? 'ok' : 'bad';
  if (r.format === 'json') return verifyYimaSign(rule, r.fields, key, r.signature, r.text) ? 'ok' : 'bad';
  // A <sign> inside raw XML: not in the seed; checked with the same rule over its fields.
  return verifyYimaSign(rule, r.fields, key, r.signature) ? 'ok' : 'bad';
}

/** The answer to a message in the same envelope it came in (notifications). */
export function encodeLike(like: ParsedBody['response'], message: YimaMessage, signRule: YimaSignRule, key: string): EncodedRequest {
  if (like.format === 'json') return encodeRequest(message, { format: 'json', xmlTransport: 'raw', signRule }, key);
  return encodeRequest(message, { format: 'xml', xmlTransport: like.transport === 'form' ? 'form' : 'raw', signRule }, key);
}
