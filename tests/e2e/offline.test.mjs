// A customer on a road with no data signal: Send keeps everything on screen, offers the request as a text
// message (with the coordinates), and goes out by itself when the connection returns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hydrated, phone, setUp } from './harness.mjs';

const env = setUp();

test('sending without a connection offers SMS and sends once the signal returns', async () => {
  const context = await phone(env.browser, env.server.base, { geolocation: { latitude: 47.3769, longitude: 8.5417, accuracy: 15 } });
  const page = await context.newPage();
  await page.goto('/');
  await hydrated(page);
  await page.locator('label.tile', { hasText: 'Battery' }).tap();
  await page.fill('input[name=phone]', '+1 201 555 0123');

  await context.setOffline(true);
  await page.getByRole('button', { name: 'Send request' }).tap();
  const sms = page.getByRole('link', { name: 'Send it by text message instead' });
  await sms.waitFor();
  const href = await sms.getAttribute('href');
  assert.match(href, /^sms:\+12025550100\?body=/);
  const body = decodeURIComponent(href.split('body=')[1]);
  assert.match(body, /Battery/);
  assert.match(body, /47\.37690,8\.54170 \(±15 m\)/);
  assert.match(body, /Phone: \+1 201 555 0123/);
  assert.equal(new URL(page.url()).pathname, '/', 'still on the form, nothing lost');
  assert.equal(await page.inputValue('input[name=phone]'), '+1 201 555 0123');

  await context.setOffline(false);
  await page.waitForURL(/\/r\/[a-z2-7]{32}$/, { timeout: 10000 });
  assert.match(await page.locator('.number').innerText(), /^RC-/);
  await context.close();
});
