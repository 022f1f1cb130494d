// The customer's flow in a real Chromium at 390×844: hydrated with location granted and denied, and with
// JavaScript off. Each test sends a request, lands on the status page, and sees a new event appear.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hydrated, live, phone, post, screenshots, setUp } from './harness.mjs';

const env = setUp();

/// Taps one of the four problem tiles.
const choose = (page, text) => page.locator('label.tile', { hasText: text }).tap();

const token = (page) => new URL(page.url()).pathname.split('/')[2];

describe('customer with JavaScript and location granted', () => {
  test('sends one request with the fix, lands on the status page, and sees callbacks live', async () => {
    const context = await phone(env.browser, env.server.base, { geolocation: { latitude: 52.52001, longitude: 13.40495, accuracy: 8 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Counts the page's asks for the position.
    await page.addInitScript(() => {
      window.__asked = 0;
      const watch = navigator.geolocation.watchPosition.bind(navigator.geolocation);
      navigator.geolocation.watchPosition = (...args) => { window.__asked += 1; return watch(...args); };
    });
    await page.goto('/');
    await hydrated(page);
    // Asked in context: not on arrival, but once the customer has picked what happened.
    await page.getByText('Once you pick what happened').waitFor();
    assert.equal(await page.evaluate(() => window.__asked), 0, 'no location prompt on arrival');
    await choose(page, 'Flat tire');
    await assert.doesNotReject(page.getByText('accurate to 8 m').waitFor());
    assert.equal(await page.evaluate(() => window.__asked), 1);
    await choose(page, 'Battery');
    await choose(page, 'Flat tire');
    assert.equal(await page.evaluate(() => window.__asked), 1, 'asked once, however often the choice changes');
    await page.screenshot({ path: `${screenshots}/home-located.png`, fullPage: true });

    await page.fill('input[name=phone]', '(201) 555-0123');
    await page.fill('input[name=vehicle_make]', 'Volvo');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.waitForURL(/\/r\/[a-z2-7]{32}$/);
    assert.match(await page.locator('.number').innerText(), /^RC-[3-9A-Y]{4}$/);
    assert.match(await page.locator('.facts').innerText(), /52\.52001, 13\.40495 \(±8 m\)/);

    // A marker that a reload would wipe: the update must arrive without one.
    await page.evaluate(() => { window.__stillHere = true; });
    await live(page);
    const answer = await post(env.server.base, `/r/${token(page)}/callback`);
    assert.equal(answer.status, 303);
    await page.getByText('You asked us to call you back').waitFor({ timeout: 5000 });
    assert.equal(await page.evaluate(() => window.__stillHere), true, 'updated live, not by reloading');
    await page.screenshot({ path: `${screenshots}/status-live.png`, fullPage: true });

    // The phone and vehicle are remembered on this device for next time.
    await page.goto('/');
    await hydrated(page);
    assert.equal(await page.inputValue('input[name=phone]'), '(201) 555-0123');
    assert.equal(await page.inputValue('input[name=vehicle_make]'), 'Volvo');
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe('customer with JavaScript and location denied', () => {
  test('is told why a request without a place cannot go, then sends with a place description', async () => {
    const context = await phone(env.browser, env.server.base);
    const page = await context.newPage();
    await page.goto('/');
    await hydrated(page);
    await choose(page, 'Battery');
    await page.getByText('Location is off').waitFor();
    await page.fill('input[name=phone]', '+1 201 555 0123');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.getByText('We do not have your location yet').waitFor();
    assert.equal(new URL(page.url()).pathname, '/', 'nothing was sent');

    await page.fill('textarea[name=place]', 'I-95 northbound, exit 4, by the blue barn');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.waitForURL(/\/r\//);
    assert.match(await page.locator('.facts').innerText(), /I-95 northbound, exit 4/);

    await live(page);
    await post(env.server.base, `/r/${token(page)}/cancel`);
    await page.getByRole('heading', { name: 'Request cancelled' }).waitFor({ timeout: 5000 });
    await context.close();
  });
});

describe('customer with JavaScript off', () => {
  test('sends with a plain form post, and the status page refreshes itself to show new events', async () => {
    const context = await phone(env.browser, env.server.base, { javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/');
    // Playwright's text search skips <noscript>; read the element itself.
    assert.match(await page.locator('noscript > p.meter').innerText(), /Your browser is not sharing a location/);
    await page.screenshot({ path: `${screenshots}/home-no-js.png`, fullPage: true });

    // Refused first (bad phone): the page comes back with the reasons and what was typed.
    await choose(page, 'Locked out');
    await page.fill('input[name=phone]', '12');
    await page.fill('textarea[name=place]', 'Supermarket car park, row F');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.getByText('Please check:').waitFor();
    assert.equal(await page.inputValue('textarea[name=place]'), 'Supermarket car park, row F');

    await page.fill('input[name=phone]', '201-555-0123');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.waitForURL(/\/r\//);
    assert.match(await page.locator('.number').innerText(), /^RC-/);

    await post(env.server.base, `/r/${token(page)}/callback`);
    // No script can follow the feed: the page reloads itself every 20 seconds.
    await page.getByText('You asked us to call you back').waitFor({ timeout: 30000 });
    await context.close();
  });

  test('a child or a pet locked inside is asked with "Locked out" only, kept through a refusal, and put first', async () => {
    const context = await phone(env.browser, env.server.base, { javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/');
    const inside = page.locator('label.someone-inside');
    assert.equal(await inside.isVisible(), false, 'not asked before a choice');
    await choose(page, 'Battery');
    assert.equal(await inside.isVisible(), false, 'not asked for a battery');
    await choose(page, 'Locked out');
    await inside.tap();
    assert.equal(await inside.locator('input').isChecked(), true);
    await page.fill('textarea[name=place]', 'Lidl car park, by the trolleys');
    await page.fill('input[name=phone]', '12');
    await page.getByRole('button', { name: 'Send request' }).tap();
    // Refused for the phone number: the tick survives the round trip.
    await page.getByText('Please check:').waitFor();
    assert.equal(await page.locator('input[name=someone_inside]').isChecked(), true);
    await page.fill('input[name=phone]', '201-555-0144');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.waitForURL(/\/r\//);
    await page.getByText('A child or a pet is inside: this request comes first.').waitFor();
    await page.screenshot({ path: `${screenshots}/status-someone-inside.png`, fullPage: true });
    const status = await (await fetch(`${env.server.base}/api/v1/requests/${token(page)}`)).json();
    assert.equal(status.someone_inside, true);
    await context.close();
  });
});
