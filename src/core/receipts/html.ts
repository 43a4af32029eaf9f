/**
 * The HTML receipt for a system (spooler) printer: the same lines as the thermal receipt, in a
 * monospace column of the paper's width, with the QR drawn as an image. Text is escaped; nothing from
 * the ledger can inject markup.
 */
import QRCode from 'qrcode';
import type { ReceiptText } from '../../shared/printer';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export async function receiptHtml(receipt: ReceiptText): Promise<string> {
  const widthMm = receipt.columns <= 32 ? 58 : 80;
  const qr = receipt.code === '' ? '' : await QRCode.toDataURL(receipt.code, { errorCorrectionLevel: 'M', margin: 1, width: 192 });
  const lines = receipt.lines
    .map((l) => {
      const style = [`text-align:${l.align}`, l.bold ? 'font-weight:bold' : '', l.big ? 'font-size:2em' : ''].filter((s) => s !== '').join(';');
      return `<div class="l" style="${style}">${escapeHtml(l.text) || '&nbsp;'}</div>`;
    })
    .join('\n');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>receipt</title><style>
@page { size: ${widthMm}mm auto; margin: 2mm; }
body { margin: 0; font-family: "Noto Sans Mono CJK SC", "WenQuanYi Zen Hei Mono", "SimSun", monospace; font-size: 11px; width: ${widthMm - 4}mm; }
.l { white-space: pre; overflow: hidden; }
.qr { text-align: center; }
</style></head><body>
${lines}
${qr === '' ? '' : `<div class="qr"><img alt="${escapeHtml(receipt.code)}" src="${qr}" width="128" height="128"></div>`}
</body></html>`;
}
