// A status page whose live feed is refused (too many open from its address) or ended by the server (its
// lifetime) opens it again by itself and shows what changed meanwhile, without a reload.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { live, phone, post, setUp } from './harness.mjs';

// One feed per address: a second one from 127.0.0.1 is refused with 429 while the first is open.
const env = setUp({ args: ['--feeds-per-client', '1', '--feed-lifetime', '3s'] });

/// Holds a status feed open from this address, resolving once its first view has come.
function holdFeed(base, token) {
  const url = new URL(base);
  return new Promise((ok, fail) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET /r/${token}/events HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    let seen = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      seen += chunk;
      if (seen.startsWith('HTTP/1.1 200') && seen.includes('\ndata:')) ok(socket);
      else if (/^HTTP\/1\.1 [^2]/.test(seen)) fail(new Error(seen.split('\r\n')[0]));
    });
    socket.on('error', fail);
  });
}

test('a refused feed is opened again once there is room, and a feed past its lifetime reconnects; nothing is missed', async () => {
  const created = await fetch(`${env.server.base}/api/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.server.partnerKey}` },
    body: JSON.stringify({ problem: 'battery', phone: '+1 201 555 0123', location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 } }),
  });
  assert.equal(created.status, 201);
  const { token } = await created.json();

  const held = await holdFeed(env.server.base, token);
  const context = await phone(env.browser, env.server.base);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/r/${token}`);
  // The page's own feed is refused: it says it is waiting, and no live update can reach it.
  await page.waitForFunction(() => document.documentElement.dataset.feed === 'waiting', null, { timeout: 15000 });
  await page.evaluate(() => { window.__stillHere = true; });

  // The change happens while the page has no feed; the seat comes free; the page opens its feed and shows it.
  assert.equal((await post(env.server.base, `/r/${token}/callback`)).status, 303);
  held.destroy();
  await live(page);
  await page.getByText('You asked us to call you back').waitFor({ timeout: 15000 });

  // The server ends the feed after its lifetime (3 s here); the browser reconnects and keeps up.
  await live(page, 2);
  assert.equal((await post(env.server.base, `/r/${token}/cancel`)).status, 303);
  await page.getByRole('heading', { name: 'Request cancelled' }).waitFor({ timeout: 15000 });
  assert.equal(await page.evaluate(() => window.__stillHere), true, 'updated live, not by reloading');
  assert.deepEqual(errors, []);
  await context.close();
});
