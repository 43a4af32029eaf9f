import { describe, expect, it } from 'vitest';
import { maskRawText, maskSecrets } from '../../src/core/util/logger';

describe('secret masking', () => {
  it('masks secret-looking fields at any depth', () => {
    expect(maskSecrets({ a: 1, key: 'k', nested: { Sign: 's', list: [{ pin: '1234', ok: true }] } })).toEqual({
      a: 1,
      key: '***',
      nested: { Sign: '***', list: [{ pin: '***', ok: true }] },
    });
  });

  it('keeps a raw body byte-exact unless it carries a secret field', () => {
    const plain = '{"respCode":"00",  "respMsg":"交易成功"}';
    expect(maskRawText(plain)).toBe(plain);
    expect(maskRawText('<html>oops</html>')).toBe('<html>oops</html>');
    expect(maskRawText(null)).toBeNull();
    const secret = '{"result":{"id":"9998"},"sign":"abcdef0123"}';
    expect(maskRawText(secret)).toBe('{"result":{"id":"9998"},"sign":"***"}');
  });
});
