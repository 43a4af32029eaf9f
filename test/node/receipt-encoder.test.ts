import iconv from 'iconv-lite';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { ReceiptPrinterConfigSchema } from '../../src/shared/printer';
import {
  barcodeCommands,
  code128Data,
  cmd,
  encodeDrawerKick,
  encodeReceipt,
  pairLines,
  QR_BYTES_M,
  QR_MAX_BYTES,
  wrapText,
  decodeStatus,
  type ReceiptBlock,
} from '../../src/core/devices/receipt-encoder';
import { saleReceipt, refundReceipt, type ReceiptContext } from '../../src/core/receipts/content';
import { decodeCode128, decodeEscpos, receiptText } from '../support/escpos';

const ctx: ReceiptContext = {
  shopName: '好又多便利店',
  counter: '99990001',
  header: '电话 021-12345678',
  footer: '七日内凭小票退换',
  training: false,
  reprint: false,
  printedAt: Date.UTC(2026, 11, 2, 3, 30, 0),
  timeZone: 'Asia/Shanghai',
};

const wechat = {
  tradeNo: 'P2612021130000001234',
  merOrderNo: null,
  tender: 'qr',
  payType: 'WEIX',
  amountFen: 12_850,
  sysTrace: '202612021130001234567890123',
  operator: '001',
  paidAt: Date.UTC(2026, 11, 2, 3, 30, 0),
  createdAt: Date.UTC(2026, 11, 2, 3, 29, 50),
  memo: null,
};

describe('ESC/POS receipt encoder', () => {
  for (const [width, columns] of [
    [58, 32],
    [80, 48],
  ] as const) {
    it(`a ￥128.50 WeChat receipt at ${width} mm decodes back to its lines, QR, barcode and cut`, () => {
      const bytes = encodeReceipt(saleReceipt(wechat, ctx), { paperWidth: width, encoding: 'gb18030' });
      const d = decodeEscpos(bytes);
      expect(d.unknown).toEqual([]);
      expect(d.consumed).toBe(bytes.length);
      expect(d.jobs).toBe(1);
      const text = receiptText(d);
      expect(text[0]).toBe('好又多便利店');
      expect(text).toContain('销售小票');
      expect(text.some((l) => /^支付方式 +微信支付$/.test(l))).toBe(true);
      expect(text.some((l) => /^订单号 +P2612021130000001234$/.test(l))).toBe(true);
      expect(text.some((l) => /^时间 +2026-12-02 11:30:00$/.test(l))).toBe(true);
      // The amount: bold and double size, label left, amount right.
      const amount = d.lines.find((l) => l.text.includes('￥128.50'));
      expect(amount).toMatchObject({ bold: true, big: true });
      expect(amount?.text).toMatch(/^金额 +￥128\.50$/);
      expect(amount?.bytes.length).toBe(columns / 2);
      // The code the refund desk searches by: our order number, in QR and CODE128.
      expect(d.qr).toEqual([wechat.tradeNo]);
      expect(d.barcodes).toEqual([wechat.tradeNo]);
      expect(d.cuts).toEqual(['partial']);
      expect(d.drawerKicks).toEqual([]);
      // No line wider than the paper (double-size lines count twice).
      for (const l of d.lines) expect(l.bytes.length * (l.big ? 2 : 1)).toBeLessThanOrEqual(columns);
      // Chinese mode on before the text, off at the end.
      expect(d.commands.map((c) => c.name)).toContain('chinese-on');
      expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x1b, 0x40, 0x1c, 0x26]));
    });
  }

  it('Chinese lines are GB18030/GBK bytes', () => {
    const bytes = encodeReceipt([{ kind: 'text', text: '微信支付' }], { paperWidth: 80, encoding: 'gbk', chineseMode: false, cut: 'none', feedLines: 0 });
    // 微 CEA2 信 D0C5 支 D6A7 付 B8B6
    expect(bytes).toEqual(
      Buffer.from([0x1b, 0x40, 0x1b, 0x61, 0x00, 0xce, 0xa2, 0xd0, 0xc5, 0xd6, 0xa7, 0xb8, 0xb6, 0x0a, 0x1b, 0x61, 0x00, 0x1b, 0x64, 0x00]),
    );
    expect(iconv.encode('好又多便利店', 'gb18030')).toEqual(
      decodeEscpos(encodeReceipt([{ kind: 'text', text: '好又多便利店' }], { paperWidth: 58, encoding: 'gb18030' })).lines[0]?.bytes,
    );
  });

  it('wraps by bytes and never splits a double-byte character', () => {
    // 31 ASCII + a Hanzi: the Hanzi does not fit in column 32 and moves to the next line whole.
    const lines = wrapText(`${'a'.repeat(31)}收银台`, 32, 'gbk');
    expect(lines.map((l) => l.length)).toEqual([31, 6]);
    expect(iconv.decode(lines[1] ?? Buffer.alloc(0), 'gbk')).toBe('收银台');
    const long = '七日内凭小票退换，特价商品恕不退换，谢谢惠顾欢迎再次光临本店';
    for (const l of wrapText(long, 32, 'gb18030')) {
      expect(l.length).toBeLessThanOrEqual(32);
      expect(iconv.encode(iconv.decode(l, 'gb18030'), 'gb18030')).toEqual(l);
    }
    // Control characters in user text can never become printer commands.
    expect(wrapText('a\x1bVb\x1dV', 32, 'gbk')[0]).toEqual(Buffer.from('a?Vb?V'));
  });

  it('pairs: value right-aligned to the exact width, or on its own line when both do not fit', () => {
    expect(pairLines('金额', '￥1.00', 16, 'gbk')).toEqual([iconv.encode('金额      ￥1.00', 'gbk')]);
    const [first, second] = pairLines('原交易流水', '202612021130001234567890123', 32, 'gbk');
    expect(iconv.decode(first ?? Buffer.alloc(0), 'gbk')).toBe('原交易流水');
    expect(second?.length).toBe(32);
    expect(iconv.decode(second ?? Buffer.alloc(0), 'gbk').trim()).toBe('202612021130001234567890123');
  });

  it('QR: GS ( k model 2, EC M, store with the payload, print', () => {
    const bytes = encodeReceipt([{ kind: 'qr', data: 'P2612021130000001234' }], { paperWidth: 58, encoding: 'gbk', chineseMode: false, cut: 'none' });
    const store = Buffer.from([0x1d, 0x28, 0x6b, 23, 0, 0x31, 0x50, 0x30]);
    expect(bytes.includes(Buffer.concat([store, Buffer.from('P2612021130000001234')]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]))).toBe(true);
    expect(decodeEscpos(bytes).qr).toEqual(['P2612021130000001234']);
  });

  it('CODE128: code C for digit runs, B otherwise, round-trips, fits the paper', () => {
    const data = code128Data('P2612021130000001234');
    // {B P 2 then {C for the 18 remaining digits (the odd run's first digit stays in B).
    expect(data?.subarray(0, 5)).toEqual(Buffer.from([0x7b, 0x42, 0x50, 0x32, 0x7b]));
    expect(data?.[5]).toBe(0x43);
    expect(decodeCode128(data ?? Buffer.alloc(0))).toBe('P2612021130000001234');
    expect(decodeCode128(code128Data('AB{12345') ?? Buffer.alloc(0))).toBe('AB{12345');
    expect(code128Data('收银')).toBeNull();
    const cmds58 = barcodeCommands('P2612021130000001234', 58);
    // (start, P, 2, switch to C, 9 pairs, check) × 11 + stop 13 + quiet 20 = 187 modules: 2 dots on 58 mm (374 ≤ 384), 3 on 80 mm.
    expect(cmds58?.[1]).toEqual(Buffer.from([0x1d, 0x77, 2]));
    expect(barcodeCommands('P2612021130000001234', 80)?.[1]).toEqual(Buffer.from([0x1d, 0x77, 3]));
    expect(barcodeCommands('X'.repeat(60), 58)).toBeNull();
  });

  it('drawer kick: ESC p with pin and pulse times; cut options', () => {
    expect(cmd.drawerKick({ pin: 2, onMs: 100, offMs: 200 })).toEqual(Buffer.from([0x1b, 0x70, 0x00, 50, 100]));
    expect(cmd.drawerKick({ pin: 5, onMs: 120, offMs: 240 })).toEqual(Buffer.from([0x1b, 0x70, 0x01, 60, 120]));
    expect(encodeDrawerKick({ pin: 2, onMs: 100, offMs: 200 })).toEqual(Buffer.from([0x1b, 0x40, 0x1b, 0x70, 0x00, 50, 100]));
    const drawer = ReceiptPrinterConfigSchema.parse({ transport: 'tcp', host: '127.0.0.1' }).drawer;
    const withKick = decodeEscpos(encodeReceipt([{ kind: 'text', text: 'x' }], { paperWidth: 80, encoding: 'gbk', drawer, cut: 'full' }));
    expect(withKick.drawerKicks).toEqual([{ pin: 2, onMs: 100, offMs: 200 }]);
    expect(withKick.cuts).toEqual(['full']);
    expect(decodeEscpos(encodeReceipt([], { paperWidth: 80, encoding: 'gbk', cut: 'none' })).cuts).toEqual([]);
  });

  it('status bytes of DLE EOT decode to online / paper out / cover open', () => {
    expect(decodeStatus(0x12, 0x12, 0x12)).toEqual({ online: true, coverOpen: false, paperOut: false, paperNearEnd: false });
    expect(decodeStatus(0x1a, 0x32, 0x72)).toEqual({ online: false, coverOpen: false, paperOut: true, paperNearEnd: false });
    expect(decodeStatus(0x1a, 0x16, 0x1e)).toMatchObject({ coverOpen: true, paperNearEnd: true, paperOut: false });
  });

  it('training and reprint receipts say so; refund receipts show the original and what is left', () => {
    const training = receiptText(encodeReceipt(saleReceipt(wechat, { ...ctx, training: true, reprint: true }), { paperWidth: 58, encoding: 'gb18030' }));
    expect(training[0]).toBe('培训模式 / 非正式收据');
    expect(training).toContain('销售小票（重印）');
    expect(training.some((l) => l.startsWith('重印时间'))).toBe(true);
    const refund = decodeEscpos(
      encodeReceipt(
        refundReceipt(
          {
            refundNo: 'R2612021140000005678',
            amountFen: 2_850,
            status: 'succeeded',
            sysTrace: 'RT1',
            operator: '001',
            approvedBy: '800',
            reason: '顾客退货',
            createdAt: Date.UTC(2026, 11, 2, 3, 40),
            payment: { tradeNo: wechat.tradeNo, sysTrace: wechat.sysTrace, amountFen: 12_850, tender: 'qr', payType: 'WEIX' },
            remainingFen: 10_000,
          },
          ctx,
        ),
        { paperWidth: 80, encoding: 'gb18030' },
      ),
    );
    const lines = receiptText(refund);
    expect(lines.some((l) => /^退款金额 +￥28\.50$/.test(l))).toBe(true);
    expect(lines.some((l) => /^可退余额 +￥100\.00$/.test(l))).toBe(true);
    expect(lines.some((l) => /^审批主管 +800$/.test(l))).toBe(true);
    expect(lines.some((l) => /^原订单号 +P2612021130000001234$/.test(l))).toBe(true);
    expect(refund.qr).toEqual([wechat.tradeNo]);
  });

  it('cash receipts show tendered and change; card receipts a masked card number', () => {
    const cash = receiptText(
      encodeReceipt(
        saleReceipt({ ...wechat, tender: 'cash', payType: null, sysTrace: null, amountFen: 3_780, cash: { tenderedFen: 10_000, changeFen: 6_220 } }, ctx),
        { paperWidth: 58, encoding: 'gbk' },
      ),
    );
    expect(cash.some((l) => /^实收 +￥100\.00$/.test(l))).toBe(true);
    expect(cash.some((l) => /^找零 +￥62\.20$/.test(l))).toBe(true);
    const card = receiptText(
      encodeReceipt(
        saleReceipt(
          {
            ...wechat,
            tender: 'card',
            payType: null,
            card: { cardNo: '6228480012345678901', terminalNo: 'T0000001', voucherNo: '000123', referenceNo: '123456789012', authCode: '' },
          },
          ctx,
        ),
        {
          paperWidth: 58,
          encoding: 'gbk',
        },
      ),
    );
    expect(card.some((l) => /^卡号 +622848\*{9}8901$/.test(l))).toBe(true);
    expect(card.join('\n')).not.toContain('6228480012345678901');
  });

  it('a card number the terminal already masked prints masked, never as its bare digits', () => {
    // The terminal (and the ledger) keep 622202*********0123; dropping the stars printed 6222020123 — a
    // different-looking, unmasked-looking number. Stars stay; only the first 6 and last 4 show.
    const card = (cardNo: string): string[] =>
      receiptText(
        encodeReceipt(
          saleReceipt(
            {
              ...wechat,
              tender: 'card',
              payType: null,
              card: { cardNo, terminalNo: 'T0000001', voucherNo: '000123', referenceNo: '123456789012', authCode: '' },
            },
            ctx,
          ),
          { paperWidth: 58, encoding: 'gbk' },
        ),
      );
    expect(card('622202*********0123').some((l) => /^卡号 +622202\*{9}0123$/.test(l))).toBe(true);
    expect(card('622202*********0123').join('\n')).not.toContain('6222020123');
    expect(card('6222 0212 3456 7890 123').some((l) => /^卡号 +622202\*{9}0123$/.test(l))).toBe(true);
    expect(card('****0123').some((l) => /^卡号 +\*{4}0123$/.test(l))).toBe(true);
  });

  it('every block kind stays within the paper at both widths', () => {
    const blocks: ReceiptBlock[] = [
      { kind: 'text', text: '超长的店名超长的店名超长的店名超长的店名超长的店名', big: true, align: 'center' },
      { kind: 'pair', label: '很长很长的标签很长很长的标签', value: '很长很长的值很长很长的值很长很长的值', big: true },
      { kind: 'rule', char: '=' },
      { kind: 'feed', lines: 2 },
    ];
    for (const width of [58, 80] as const) {
      const columns = width === 58 ? 32 : 48;
      for (const l of decodeEscpos(encodeReceipt(blocks, { paperWidth: width, encoding: 'gb18030' })).lines)
        expect(l.bytes.length * (l.big ? 2 : 1)).toBeLessThanOrEqual(columns);
    }
  });
});

describe('QR and CODE128 data the printer cannot take: never a broken stream, the reference printed as text', () => {
  const opts = { encoding: 'gb18030', chineseMode: true, cut: 'partial' } as const;
  /** The whole job decodes: no stray byte, every byte consumed, the cut at the end. */
  function clean(bytes: Buffer): ReturnType<typeof decodeEscpos> {
    const d = decodeEscpos(bytes);
    expect(d.unknown).toEqual([]);
    expect(d.consumed).toBe(bytes.length);
    expect(d.cuts).toEqual(['partial']);
    expect(d.jobs).toBe(1);
    return d;
  }
  const moduleSizeOf = (bytes: Buffer): number | undefined => {
    const at = bytes.indexOf(Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43]));
    return at < 0 ? undefined : bytes[at + 7];
  };

  it("the byte-mode capacity table (EC M, versions 1–40) and the per-level limits are the standard's (cross-checked with the qrcode library)", () => {
    const fits = (bytes: number, version: number, level: 'L' | 'M' | 'Q' | 'H'): boolean => {
      try {
        QRCode.create([{ data: Buffer.alloc(bytes, 0x41), mode: 'byte' }], { version, errorCorrectionLevel: level });
        return true;
      } catch {
        return false;
      }
    };
    QR_BYTES_M.forEach((capacity, i) => {
      expect(fits(capacity, i + 1, 'M')).toBe(true);
      expect(fits(capacity + 1, i + 1, 'M')).toBe(false);
    });
    for (const level of ['L', 'M', 'Q', 'H'] as const) {
      expect(fits(QR_MAX_BYTES[level], 40, level)).toBe(true);
      expect(fits(QR_MAX_BYTES[level] + 1, 40, level)).toBe(false);
    }
  });

  for (const [what, data, width] of [
    ['one byte over model 2 / EC M (2332 bytes)', 'A'.repeat(QR_MAX_BYTES.M + 1), 80],
    ['over the 16-bit store length (70 000 bytes)', 'B'.repeat(70_000), 80],
    ['too big for 58 mm paper at a scannable module size (1000 bytes)', 'C'.repeat(1000), 58],
    ['non-ASCII', '退款单号P26120211300', 58],
    ['a control character', 'P2612\n0211300', 58],
  ] as const) {
    it(`QR ${what}: no GS ( k, the data printed as text instead`, () => {
      const bytes = encodeReceipt(
        [
          { kind: 'qr', data },
          { kind: 'text', text: '谢谢惠顾' },
        ],
        { paperWidth: width, ...opts },
      );
      const d = clean(bytes);
      expect(d.qr).toEqual([]);
      expect(d.commands.some((c) => c.name.startsWith('qr-'))).toBe(false);
      expect(
        d.lines
          .map((l) => l.text.trimEnd())
          .join('')
          .replace(/\s/g, ''),
      ).toBe(`${data}谢谢惠顾`.replace(/\s/g, ''));
    });
  }

  it('QR at the limit still prints: the module size shrinks to fit the paper, never below 3 dots', () => {
    const at58 = 'D'.repeat(QR_BYTES_M[24] ?? 0); // version 25: (117 + 8 quiet) × 3 = 375 ≤ 384 dots
    const d58 = clean(encodeReceipt([{ kind: 'qr', data: at58 }], { paperWidth: 58, ...opts }));
    expect(d58.qr).toEqual([at58]);
    expect(moduleSizeOf(encodeReceipt([{ kind: 'qr', data: at58 }], { paperWidth: 58, ...opts }))).toBe(3);
    const at80 = 'E'.repeat(QR_MAX_BYTES.M);
    expect(clean(encodeReceipt([{ kind: 'qr', data: at80 }], { paperWidth: 80, ...opts })).qr).toEqual([at80]);
    // An ordinary reference keeps the usual size.
    expect(moduleSizeOf(encodeReceipt([{ kind: 'qr', data: wechat.tradeNo }], { paperWidth: 58, ...opts }))).toBe(5);
    expect(moduleSizeOf(encodeReceipt([{ kind: 'qr', data: wechat.tradeNo }], { paperWidth: 80, ...opts }))).toBe(6);
  });

  for (const [what, data] of [
    ['over 255 encoded bytes', 'AB'.repeat(200)],
    ['non-ASCII', '收银P2612021130'],
    ['too wide for the paper', 'X'.repeat(60)],
  ] as const) {
    it(`CODE128 ${what}: no GS k, the data printed as text instead`, () => {
      const d = clean(encodeReceipt([{ kind: 'barcode', data }], { paperWidth: 58, ...opts }));
      expect(d.barcodes).toEqual([]);
      expect(
        d.lines
          .map((l) => l.text.trimEnd())
          .join('')
          .replace(/\s/g, ''),
      ).toBe(data);
    });
  }

  it('a receipt whose reference cannot be a QR or a barcode prints it once, as the line under them', () => {
    const tradeNo = 'Z'.repeat(3000);
    const bytes = encodeReceipt(saleReceipt({ ...wechat, tradeNo }, ctx), { paperWidth: 58, ...opts });
    const d = clean(bytes);
    expect(d.qr).toEqual([]);
    expect(d.barcodes).toEqual([]);
    // Exactly the lines of the same receipt without the codes: the reference is not printed a second time.
    const withoutCodes = saleReceipt({ ...wechat, tradeNo }, ctx).filter((b) => b.kind !== 'qr' && b.kind !== 'barcode');
    expect(receiptText(d)).toEqual(receiptText(encodeReceipt(withoutCodes, { paperWidth: 58, ...opts })));
    expect(receiptText(d).join('')).toContain('七日内凭小票退换');
  });
});
