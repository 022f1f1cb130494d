// Dispatch in a real Chromium: the escalation ladder with rungs shortened to two seconds, through a kill -9
// and restart of the server in the middle, up to an alarm that is shown and sounded on the open board until a
// technician owns the request. Then a dispatcher assigns a job and confirms the arrival, and the customer and
// the technician see it live; and the same with JavaScript off.
import assert from 'node:assert/strict';
import { request as httpGet } from 'node:http';
import { test } from 'node:test';
import { addStaff, apiRequest, logIn, phone, running, screenshots, setUp, staffSession } from './harness.mjs';

const RUNG_MS = 2000;
const env = setUp({ args: ['--escalate-after', `${RUNG_MS}ms`] });

/// A phone or desk that records every sound the page starts (an oscillator started is a beep).
async function recordingSounds(context) {
  await context.addInitScript(() => {
    window.__sounds = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args) {
      window.__sounds += 1;
      return start.apply(this, args);
    };
  });
}

const rungs = async (dee, number) => {
  const view = await (await dee.get(`/staff/api/dispatch/requests/${number}`)).json();
  return view.data.job.request.timeline.filter((e) => e.kind === 'escalated').map((e) => e.level);
};

test('an unowned request climbs to an alarm through a server crash, and the alarm stays until it is owned', async () => {
  const deeLogin = addStaff(env.server, 'dee', 'Dee Okafor', 'dispatcher');
  const samLogin = addStaff(env.server, 'sam', 'Sam Rivera', 'technician');
  const context = await phone(env.browser, env.server.base);
  await recordingSounds(context);
  const board = await context.newPage();
  const errors = [];
  board.on('pageerror', (e) => errors.push(e.message));
  await logIn(board, deeLogin, '/dispatch');

  const { number } = await apiRequest(env.server.base);
  const card = board.locator(`li[data-number="${number}"]`);
  await card.waitFor({ timeout: 3000 });
  assert.match(await card.locator('.job-ladder').innerText(), /escalates in 0:0\d/);
  assert.match(await card.locator('.job-tech').innerText(), /nobody yet/);

  // First rung, then the crash: nothing the ladder did is lost and nothing is done twice.
  await board.locator(`li[data-number="${number}"][data-escalation="1"]`).waitFor({ timeout: RUNG_MS * 3 });
  await env.server.restart();
  await board.reload();
  await board.locator('section.alarm[data-alarms]:not(.hidden)').waitFor({ timeout: RUNG_MS * 5 });
  assert.match(await board.locator('section.alarm[data-alarms]').innerText(), /1 request needs an owner now/);
  await board.locator(`li.alarmed[data-number="${number}"]`).waitFor();
  assert.equal(await board.locator('ul.dispatch-list > li').first().getAttribute('data-number'), number, 'alarms first');
  await board.waitForFunction(() => window.__sounds > 0, null, { timeout: 8000 });
  await board.screenshot({ path: `${screenshots}/dispatch-alarm.png`, fullPage: true });
  const dee = await staffSession(env.server.base, deeLogin);
  assert.deepEqual(await rungs(dee, number), [1, 2, 3]);

  // A technician takes it: the alarm goes from the open board without a reload, and the ladder stops.
  await board.evaluate(() => { window.__stillHere = true; });
  const sam = await staffSession(env.server.base, samLogin);
  assert.equal((await sam.post(`/tech/jobs/${number}/step`, new URLSearchParams({ action: 'accept' }))).status, 204);
  await board.locator('section.alarm[data-alarms].hidden').waitFor({ state: 'attached', timeout: 5000 });
  await board.locator(`li[data-number="${number}"][data-status="accepted"]`).waitFor();
  assert.equal(await board.evaluate(() => window.__stillHere), true);
  const soundsThen = await board.evaluate(() => window.__sounds);
  await new Promise((r) => setTimeout(r, RUNG_MS * 3));
  assert.equal(await board.evaluate(() => window.__sounds), soundsThen, 'silent once owned');
  assert.deepEqual(await rungs(dee, number), [1, 2, 3], 'no rung after the accept');
  assert.deepEqual(errors, []);
  await context.close();
});

test('dispatch assigns a job and confirms the arrival; technician and customer see both live', async () => {
  const deeLogin = addStaff(env.server, 'dora', 'Dora Mills', 'dispatcher');
  const benLogin = addStaff(env.server, 'ben', 'Ben Adeyemi', 'technician');
  const { number, token } = await apiRequest(env.server.base, { problem: 'battery' });

  const desk = await (await phone(env.browser, env.server.base)).newPage();
  const errors = [];
  desk.on('pageerror', (e) => errors.push(e.message));
  await logIn(desk, deeLogin, '/dispatch');
  const techPage = await (await phone(env.browser, env.server.base)).newPage();
  await logIn(techPage, benLogin, '/tech');
  await techPage.locator('[data-alerts]:not([data-alerts=unknown])').waitFor();
  const customer = await (await phone(env.browser, env.server.base)).newPage();
  await customer.goto(`/r/${token}`);

  await desk.locator(`li[data-number="${number}"] a`).tap();
  await desk.waitForURL(`**/dispatch/requests/${number}`);
  await desk.locator('[data-status-link]').waitFor();
  assert.match(await desk.locator('[data-status-link]').innerText(), new RegExp(`/r/${token}$`));
  await desk.selectOption('select[name=technician]', { label: 'Ben Adeyemi · off duty' });
  await desk.locator('[data-act=assign]').tap();

  await techPage.locator(`li[data-number="${number}"][data-status="accepted"]`).waitFor({ timeout: 5000 });
  await customer.getByText('Ben has your request.').waitFor({ timeout: 5000 });
  await desk.locator('.job-state', { hasText: 'Ben Adeyemi' }).waitFor({ timeout: 5000 });

  await desk.locator('[data-act=confirm_arrival]').tap();
  await customer.getByText('We checked with you: help has arrived.').waitFor({ timeout: 5000 });
  await customer.getByText('Your technician has arrived').waitFor();
  await desk.locator('.job-state', { hasText: 'arrival confirmed' }).waitFor({ timeout: 5000 });
  await desk.screenshot({ path: `${screenshots}/dispatch-request.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('with JavaScript off a dispatcher still cancels with a reason and marks a callback made', async () => {
  const login = addStaff(env.server, 'nia', 'Nia Brooks', 'dispatcher');
  const { number, token } = await apiRequest(env.server.base, { problem: 'lockout' });
  await fetch(`${env.server.base}/r/${token}/callback`, { method: 'POST', redirect: 'manual' });
  const page = await (await phone(env.browser, env.server.base, { javaScriptEnabled: false })).newPage();
  await logIn(page, login, '/dispatch');
  const queued = page.locator('#callbacks li', { hasText: number });
  assert.match(await queued.locator('a.call-customer').getAttribute('href'), /^tel:\+12015550123$/);
  await queued.getByRole('button', { name: 'Call made' }).tap();
  await page.locator('#callbacks li', { hasText: number }).waitFor({ state: 'detached' });
  assert.equal(new URL(page.url()).pathname, '/dispatch', 'back on the board');

  await page.goto(`/dispatch/requests/${number}`);
  await page.fill('textarea[name=reason]', 'Customer found the spare key');
  await page.locator('[data-act=cancel]').tap();
  await page.waitForURL(`**/dispatch/requests/${number}`);
  await page.getByText('This request is closed.').waitFor();
  const status = await (await fetch(`${env.server.base}/api/v1/requests/${token}`)).json();
  assert.equal(status.status, 'cancelled');
  assert.equal(status.timeline.at(-1).reason, 'Customer found the spare key');
  // The two-second ladder climbs meanwhile; the dispatcher's steps are what this test is about.
  const steps = status.timeline.map((e) => e.kind).filter((k) => k !== 'escalated');
  assert.deepEqual(steps, ['received', 'callback_requested', 'callback_made', 'cancelled']);
});

test('a call taken by phone goes through the arrival confirmation to the customer’s follow-up and the reports', async () => {
  const login = addStaff(env.server, 'lena', 'Lena Park', 'dispatcher');
  const techLogin = addStaff(env.server, 'omar', 'Omar Haddad', 'technician');
  const desk = await (await phone(env.browser, env.server.base)).newPage();
  const errors = [];
  desk.on('pageerror', (e) => errors.push(e.message));
  await logIn(desk, login, '/dispatch');
  await desk.getByRole('link', { name: 'Take a request by phone' }).tap();
  await desk.waitForURL('**/dispatch/new');
  await desk.getByRole('heading', { name: 'What happened to the caller?' }).waitFor();
  await desk.locator('label.tile', { hasText: 'Battery' }).tap();
  await desk.fill('textarea[name=place]', 'Route 9 Walmart car park, by the garden centre');
  await desk.fill('input[name=phone]', '+1 201 555 0177');
  await desk.fill('input[name=name]', 'Maria Lopez');
  await desk.getByRole('button', { name: 'Create the request' }).tap();
  await desk.waitForURL(/\/dispatch\/requests\/RC-/);
  const number = desk.url().split('/').pop();
  await desk.locator('.job-state', { hasText: 'via phone' }).waitFor();
  const link = await desk.locator('[data-status-link]').innerText();
  const token = link.split('/r/')[1];
  assert.match(token, /^[A-Za-z0-9_-]{22,}$/);
  const sms = await desk.getByRole('link', { name: 'Text the link' }).getAttribute('href');
  assert.ok(sms.startsWith('sms:+12015550177?body='), sms);
  assert.ok(decodeURIComponent(sms).includes(`/r/${token}`), 'the text carries the status link');

  // The caller follows along on their own phone from the link they were sent.
  const customer = await (await phone(env.browser, env.server.base)).newPage();
  await customer.goto(`/r/${token}`);
  await customer.getByText(number).first().waitFor();

  await desk.selectOption('select[name=technician]', { label: 'Omar Haddad · off duty' });
  await desk.locator('[data-act=assign]').tap();
  await customer.getByText('Omar has your request.').waitFor({ timeout: 5000 });
  await desk.locator('[data-act=confirm_arrival]').tap();
  await customer.getByText('We checked with you: help has arrived.').waitFor({ timeout: 5000 });
  assert.equal(await customer.locator('section.follow-up').isHidden(), true, 'not asked before Done');

  const omar = await staffSession(env.server.base, techLogin);
  const done = await omar.post(`/tech/jobs/${number}/step`, new URLSearchParams({ action: 'done', note: 'Jump start, battery tested OK' }));
  assert.equal(done.status, 204);
  // Asked live, once, when the job is done.
  await customer.getByRole('heading', { name: 'Are you satisfied?' }).waitFor({ timeout: 5000 });
  await customer.locator('.rating label.tile', { hasText: '5' }).tap();
  await customer.fill('textarea[name=comment]', 'Came in 20 minutes at night. Thank you!');
  await customer.screenshot({ path: `${screenshots}/follow-up.png`, fullPage: true });
  await customer.getByRole('button', { name: 'Send my answer' }).tap();
  await customer.getByText('You rated the help 5 of 5.').waitFor({ timeout: 5000 });
  await customer.reload();
  await customer.getByText('You rated the help 5 of 5.').waitFor();
  assert.equal(await customer.locator('section.follow-up').isHidden(), true, 'asked once');

  await desk.goto('/dispatch/reports');
  const answer = desk.locator(`#answers li[data-number="${number}"]`);
  await answer.waitFor();
  assert.match(await answer.innerText(), /5 of 5[\s\S]*Omar Haddad[\s\S]*Came in 20 minutes at night/);
  assert.match(await desk.locator('tr[data-key="Omar Haddad"]').innerText(), /Omar Haddad\s+1\s/);
  await desk.screenshot({ path: `${screenshots}/dispatch-reports.png`, fullPage: true });
  assert.deepEqual(errors, []);
});

test('truck checklists are edited on the setup page, with JavaScript on and off', async () => {
  const login = addStaff(env.server, 'ivy', 'Ivy Chen', 'dispatcher');
  for (const javaScriptEnabled of [true, false]) {
    const page = await (await phone(env.browser, env.server.base, { javaScriptEnabled })).newPage();
    await logIn(page, login, '/dispatch/setup');
    if (javaScriptEnabled) await running(page);
    const editor = page.locator('#checklist-lockout');
    const item = `Slim jim ${javaScriptEnabled ? 'A' : 'B'}`;
    await editor.locator('textarea').fill(`? Is a child or a pet inside?\nLockout kit\n${item}`);
    await editor.getByRole('button', { name: 'Save' }).tap();
    if (!javaScriptEnabled) await page.waitForURL((url) => url.hash === '#checklist-lockout');
    // The wasm says so in place; a plain form comes back to the editor it came from, marked saved.
    await editor.getByText('Saved.').waitFor();
    assert.equal(await page.locator('.checklist-edit .saved:not(.hidden)').count(), 1, 'only the lockout editor');
    await page.reload();
    assert.equal(await page.locator('#checklist-lockout textarea').inputValue(), `? Is a child or a pet inside?\nLockout kit\n${item}`);
    await page.context().close();
  }
});

/// The bytes the server sends for `path` to a browser that accepts brotli, as sent (not decompressed).
const brotliBytes = (base, path) => new Promise((ok, fail) => {
  httpGet(`${base}${path}`, { headers: { 'accept-encoding': 'br' } }, (r) => {
    let n = 0;
    r.on('data', (c) => { n += c.length; });
    r.on('end', () => ok({ encoding: r.headers['content-encoding'], bytes: n }));
  }).on('error', fail).end();
});

test('a customer’s phone runs one wasm file of at most 200 KB brotli; a dispatcher’s fetches the board’s own chunk', async () => {
  const fetched = (page) => {
    const urls = [];
    page.on('request', (r) => { if (r.url().includes('/pkg/')) urls.push(new URL(r.url()).pathname); });
    return urls;
  };
  const wasm = (files) => [...new Set(files.filter((u) => u.endsWith('.wasm')))];
  const { token } = await apiRequest(env.server.base);
  const customer = await (await phone(env.browser, env.server.base, { locale: 'ru-RU' })).newPage();
  const customerFiles = fetched(customer);
  for (const path of ['/', `/r/${token}`]) {
    await customer.goto(path);
    await running(customer);
    await customer.waitForLoadState('networkidle');
  }
  // Both pages' islands are in the main file; every staff screen is an island in chunks of its own (`split_…`,
  // and `chunk_…` for what they share), none of which a customer asks for.
  const [main, ...more] = wasm(customerFiles);
  assert.deepEqual(more, [], `one wasm file for the form and the status page: ${customerFiles}`);
  assert.match(main, /^\/pkg\/roadcall\.[^/]+\.wasm$/);
  const sent = await brotliBytes(env.server.base, main);
  assert.equal(sent.encoding, 'br');
  assert.ok(sent.bytes <= 200 * 1024, `the customer's wasm is ${sent.bytes} bytes brotli, over 200 KB`);

  const login = addStaff(env.server, 'rae', 'Rae Lind', 'dispatcher');
  const desk = await (await phone(env.browser, env.server.base)).newPage();
  const deskFiles = fetched(desk);
  await logIn(desk, login, '/dispatch');
  await running(desk);
  await desk.locator('section.dispatch-head').waitFor();
  await desk.waitForLoadState('networkidle');
  assert.ok(wasm(deskFiles).some((u) => u.includes('/split_dispatch_board_view_loader_')), `the board's chunk: ${deskFiles}`);
  assert.ok(!deskFiles.some((u) => u.includes('job_screen')), 'not the technician’s job screen');
});
