// The content security policy in a real Chromium: every page of every role runs (hydrates, follows its live
// feed) under the policy without a single violation, and a script injected into a page is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addStaff, apiRequest, hydrated, logIn, phone, running, setUp } from './harness.mjs';

const env = setUp();

/// A phone that records every policy violation its pages report.
async function watched(options) {
  const context = await phone(env.browser, env.server.base, options);
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return context;
}

const violations = (page) => page.evaluate(() => window.__violations);

test('every role’s pages run under the policy, and an injected script is refused', async () => {
  const customer = await (await watched({ geolocation: { latitude: 52.52, longitude: 13.405, accuracy: 15 } })).newPage();
  const home = await customer.goto('/');
  const policy = home.headers()['content-security-policy'];
  assert.match(policy, /script-src 'self' 'nonce-[A-Za-z0-9_-]{22}' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  await hydrated(customer);
  await customer.locator('label.tile', { hasText: 'Battery' }).tap();
  await customer.fill('input[name=phone]', '+1 201 555 0131');
  await customer.getByRole('button', { name: 'Send request' }).tap();
  await customer.waitForURL(/\/r\//);
  await running(customer);
  assert.deepEqual(await violations(customer), [], 'the customer’s pages');

  // A script slipped into the page (as an injection would be) does not run.
  await customer.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.body.append(s);
  });
  await customer.waitForFunction(() => window.__violations.length > 0);
  assert.equal(await customer.evaluate(() => window.__injected), undefined);
  assert.match((await violations(customer))[0], /^script-src-elem inline$/);

  const { number } = await apiRequest(env.server.base, { problem: 'lockout', someone_inside: true });
  const tech = await (await watched()).newPage();
  await logIn(tech, addStaff(env.server, 'sam', 'Sam Rivera', 'technician'), '/tech');
  await running(tech);
  await tech.locator(`li[data-number="${number}"]`).waitFor();
  await tech.goto(`/tech/jobs/${number}`);
  await running(tech);
  assert.deepEqual(await violations(tech), [], 'the technician’s pages');

  const desk = await (await watched()).newPage();
  await logIn(desk, addStaff(env.server, 'dee', 'Dee Okafor', 'dispatcher'), '/dispatch');
  for (const path of ['/dispatch', `/dispatch/requests/${number}`, '/dispatch/new', '/dispatch/reports', '/dispatch/setup']) {
    await desk.goto(path);
    await running(desk);
  }
  // A client-side navigation fetches a staff page's own chunk under the same policy.
  await desk.getByRole('link', { name: '← The board' }).tap();
  await desk.locator('section.dispatch-head').waitFor();
  assert.deepEqual(await violations(desk), [], 'the dispatcher’s pages');
});

test('without JavaScript the policy changes nothing: the location note shows and the form sends', async () => {
  const page = await (await phone(env.browser, env.server.base, { javaScriptEnabled: false })).newPage();
  await page.goto('/');
  // The waiting meter is hidden by a style sheet rule, not an inline style the policy would block.
  assert.equal(await page.locator('.meter[data-quality=waiting]').count(), 1);
  assert.equal(await page.locator('.meter[data-quality=waiting]').isVisible(), false);
  assert.equal(await page.locator('noscript > p.meter').count(), 1);
  await page.locator('label.tile', { hasText: 'Flat tire' }).tap();
  await page.fill('input[name=phone]', '+1 201 555 0132');
  await page.fill('textarea[name=place]', 'A7 north, exit 12');
  await page.getByRole('button', { name: 'Send request' }).tap();
  await page.waitForURL(/\/r\//);
});
