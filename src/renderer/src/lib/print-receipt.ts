/**
 * Browser mode (and a system printer without Electron): the receipt is laid out as the thermal
 * receipt's lines in a hidden frame and printed with the page's print dialog.
 */
import QRCode from 'qrcode';
import { call } from '../bridge/client';

export type ReceiptRequest =
  | { kind: 'payment' | 'refund' | 'shift'; id: number; reprint?: boolean }
  | { kind: 'day'; day: string; reprint?: boolean }
  /** The settings' test page. */
  | { kind: 'test' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Fetches the receipt's lines from the host and opens the print dialog for them. */
export async function printReceiptInBrowser(request: ReceiptRequest): Promise<void> {
  const receipt = await call('receipt:text', request);
  const widthMm = receipt.columns <= 32 ? 58 : 80;
  const qr = receipt.code === '' ? '' : await QRCode.toDataURL(receipt.code, { errorCorrectionLevel: 'M', margin: 1, width: 192 });
  const lines = receipt.lines
    .map(
      (l) =>
        `<div style="white-space:pre;text-align:${l.align};${l.bold ? 'font-weight:bold;' : ''}${l.big ? 'font-size:2em;' : ''}">${escapeHtml(l.text) || '&nbsp;'}</div>`,
    )
    .join('');
  const frame = document.createElement('iframe');
  frame.setAttribute('aria-hidden', 'true');
  frame.style.position = 'fixed';
  frame.style.width = '0';
  frame.style.height = '0';
  frame.style.border = '0';
  frame.dataset.testid = 'receipt-print-frame';
  document.body.appendChild(frame);
  const doc = frame.contentDocument;
  if (doc === null) {
    frame.remove();
    return;
  }
  doc.open();
  doc.write(
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>@page{size:${widthMm}mm auto;margin:2mm}body{margin:0;font-family:monospace;font-size:11px}</style></head><body>${lines}${
      qr === '' ? '' : `<div style="text-align:center"><img alt="${escapeHtml(receipt.code)}" src="${qr}" width="128" height="128"></div>`
    }</body></html>`,
  );
  doc.close();
  frame.contentWindow?.focus();
  frame.contentWindow?.print();
  setTimeout(() => frame.remove(), 60_000);
}
