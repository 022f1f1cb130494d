// Two instances on one PostgreSQL, as behind a load balancer, with phones in one real Chromium: a customer sends
// through A; the technician's board on B shows the job live and the technician accepts there; dispatch's board
// on A shows the accept live, and so does the customer's status page on A. Runs where tests/run.sh has started
// PostgreSQL (ROADCALL_TEST_POSTGRES); SQLite has one server per file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addStaff, freshPostgres, hydrated, launch, live, logIn, phone, running, screenshots, startServer } from './harness.mjs';

const postgres = process.env.ROADCALL_TEST_POSTGRES;
const env = { a: null, b: null, browser: null };

before(async () => {
  if (!postgres) return;
  const database = freshPostgres(postgres);
  env.a = await startServer([], { database });
  env.b = await startServer([], { database, partnerKey: env.a.partnerKey });
  env.browser = await launch();
});

after(async () => {
  await env.browser?.close();
  await env.a?.stop();
  await env.b?.stop();
});

test('sent through A, taken on B, seen live on A by dispatch and the customer', { skip: !postgres && 'needs PostgreSQL' }, async () => {
  const sam = addStaff(env.a, 'sam', 'Sam Rivera', 'technician');
  const dee = addStaff(env.a, 'dee', 'Dee Okafor', 'dispatcher');
  const errors = [];

  const techContext = await phone(env.browser, env.b.base);
  const tech = await techContext.newPage();
  tech.on('pageerror', (e) => errors.push(`tech: ${e.message}`));
  await logIn(tech, sam);
  await live(tech);
  await tech.getByRole('button', { name: 'Go on duty' }).tap();
  await tech.locator('[data-on-duty=true]').waitFor();

  const deskContext = await phone(env.browser, env.a.base);
  const desk = await deskContext.newPage();
  desk.on('pageerror', (e) => errors.push(`dispatch: ${e.message}`));
  await logIn(desk, dee, '/dispatch');
  await live(desk);

  const customerContext = await phone(env.browser, env.a.base, { geolocation: { latitude: 52.5251, longitude: 13.3694, accuracy: 9 } });
  const customer = await customerContext.newPage();
  customer.on('pageerror', (e) => errors.push(`customer: ${e.message}`));
  await customer.goto('/');
  await hydrated(customer);
  await customer.locator('label.tile', { hasText: 'Battery' }).tap();
  await customer.getByText('accurate to 9 m').waitFor();
  await customer.fill('input[name=phone]', '(201) 555-0123');
  await customer.getByRole('button', { name: 'Send request' }).tap();
  await customer.waitForURL(/\/r\/[a-z2-7]{32}$/);
  await live(customer);
  const number = await customer.locator('.number').innerText();

  // B's board hears of A's request through the database, without a reload.
  await tech.evaluate(() => { window.__stillHere = true; });
  const card = tech.locator(`li[data-number="${number}"]`);
  await card.waitFor({ timeout: 10000 });
  assert.equal(await tech.evaluate(() => window.__stillHere), true, 'the board updated without a reload');
  await desk.locator(`li[data-number="${number}"][data-status="received"]`).waitFor({ timeout: 10000 });

  await card.locator('a').tap();
  await tech.waitForURL(`**/tech/jobs/${number}`);
  await running(tech);
  await tech.getByRole('button', { name: 'Accept job' }).tap();

  // A's dispatch board and the customer's page on A show the accept made on B, live.
  await desk.locator(`li[data-number="${number}"][data-status="accepted"]`).waitFor({ timeout: 10000 });
  await customer.getByText('Sam has accepted your request.').waitFor({ timeout: 10000 });
  await desk.screenshot({ path: `${screenshots}/instances-dispatch.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await techContext.close();
  await deskContext.close();
  await customerContext.close();
});
