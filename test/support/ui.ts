import type { Page } from 'playwright-core';

/** Signs in at the counter with the keyboard: code, Enter, PIN, Enter (training defaults: 001/1111, 800/8888, 900/9999). */
export async function signIn(page: Page, code = '001', pin = '1111'): Promise<void> {
  await page.getByTestId('signin').waitFor();
  await page.getByTestId('signin-code').fill(code);
  await page.keyboard.press('Enter');
  await page.getByTestId('signin-pin').fill(pin);
  await page.keyboard.press('Enter');
  await page.getByTestId('operator').waitFor();
}

/**
 * Types an amount on the checkout with the number keys, at a person's pace: keys a few ms apart
 * ending in Enter are a barcode scanner's burst, which the checkout never takes as an amount.
 */
export async function typeAmount(page: Page, text: string, keys: 'digits' | 'numpad' = 'digits'): Promise<void> {
  for (const key of text) {
    if (keys === 'numpad') await page.keyboard.press(key === '.' ? 'NumpadDecimal' : `Numpad${key}`);
    else await page.keyboard.press(key === '.' ? 'Period' : `Digit${key}`);
    await page.waitForTimeout(60);
  }
}

/**
 * Takes one training payment through the checkout with the keyboard and waits until it is paid
 * (trainer "manual" + the simulated bank's /sim/pay). Returns the payment's sysTrace.
 */
export async function takeTrainingPayment(page: Page, simBase: string, amount: string): Promise<string> {
  await page.getByTestId('nav-checkout').click();
  await page.getByTestId('trainer-manual').click();
  return collectPaidSale(page, simBase, amount);
}

/**
 * On the open checkout (trainer set to "manual"): types the amount, Enter, has the simulated bank's
 * /sim/pay pay the QR, waits for paid, Enter for the next sale. Keys only. Returns the sysTrace.
 */
export async function collectPaidSale(page: Page, simBase: string, amount: string): Promise<string> {
  await typeAmount(page, amount);
  await page.keyboard.press('Enter');
  const qr = page.getByTestId('cashier-qr');
  await qr.waitFor();
  const scanCode = await qr.getAttribute('data-scan-code');
  const res = await fetch(`${simBase}/sim/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scanCode }) });
  if (res.status !== 200) throw new Error(`sim pay failed: ${res.status}`);
  await page.locator('[data-testid="payment-result"][data-status="paid"]').waitFor({ timeout: 15_000 });
  const trace = (await page.getByTestId('payment-trace').textContent()) ?? '';
  await page.keyboard.press('Enter');
  await page.getByTestId('amount-display').waitFor();
  return trace;
}
