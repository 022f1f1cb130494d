// The customer's page in Russian at 390×844: chosen by the phone's language with JavaScript off, and by the
// switch with JavaScript on; the wasm takes over the Russian page without redrawing it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { phone, running, setUp } from './harness.mjs';

const env = setUp({ args: ['--default-region', 'RU'] });

test('a Russian phone without JavaScript gets the form in Russian and sends it', async () => {
  const context = await phone(env.browser, env.server.base, { javaScriptEnabled: false, locale: 'ru-RU' });
  const page = await context.newPage();
  await page.goto('/');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await page.getByRole('heading', { name: 'Что случилось?' }).waitFor();
  assert.equal(await page.title(), 'roadcall · помощь на дороге');
  await page.locator('label.tile', { hasText: 'Спущено колесо' }).tap();
  await page.fill('input[name=phone]', '8 (912) 345-67-89');
  await page.fill('textarea[name=place]', 'М-11, 120 км, в сторону Твери');
  await page.getByRole('button', { name: 'Отправить заявку' }).tap();
  await page.waitForURL(/\/r\/[a-z2-7]{32}$/);
  await context.close();
});

test('the switch turns an English page Russian, the wasm keeps it so, and the choice is remembered', async () => {
  const context = await phone(env.browser, env.server.base);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  await page.goto('/');
  await running(page);
  await page.getByRole('button', { name: 'Русский' }).tap();
  await page.waitForFunction(() => document.documentElement.lang === 'ru');
  await running(page);
  await page.getByRole('heading', { name: 'Что случилось?' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'English' }).getAttribute('lang'), 'en');
  assert.equal(await page.locator('.send').innerText(), 'Отправить заявку');
  await page.goto('/');
  await running(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru', 'remembered');
  assert.deepEqual(errors, []);
  await context.close();
});
