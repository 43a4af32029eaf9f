import jsQR from 'jsqr';
import type { Page } from 'playwright-core';

// Runs in the page (kept as text so the node-side type program needs no DOM types).
const READ_PIXELS = `async (img) => {
  if (!img.complete) await new Promise((r) => img.addEventListener('load', r, { once: true }));
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return { width: data.width, height: data.height, data: Array.from(data.data) };
}`;

/** Reads the QR image the page shows (by test id) and decodes it with jsQR, as a phone would. */
export async function decodeQrOnPage(page: Page, testId: string): Promise<string | null> {
  const handle = await page.getByTestId(testId).elementHandle();
  if (handle === null) throw new Error(`no element ${testId}`);
  const fn = await page.evaluateHandle(READ_PIXELS);
  const pixels = (await fn.evaluate((f: any, img): unknown => f(img), handle)) as { width: number; height: number; data: number[] };
  const code = jsQR(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height);
  return code === null ? null : code.data;
}

// Decodes a PNG (base64) to RGBA pixels with the page's own image decoder.
const PNG_PIXELS = `async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return { width: data.width, height: data.height, data: Array.from(data.data) };
}`;

/** Decodes the QR in a real screenshot of the whole viewport: what a phone pointed at the screen sees. */
export async function decodeQrInScreenshot(page: Page): Promise<string | null> {
  const png = (await page.screenshot()).toString('base64');
  const fn = await page.evaluateHandle(PNG_PIXELS);
  const pixels = (await fn.evaluate((f: any, b64: string): unknown => f(b64), png)) as { width: number; height: number; data: number[] };
  const code = jsQR(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height);
  return code === null ? null : code.data;
}
