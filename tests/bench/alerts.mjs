// Benchmark (not a test): how fast a customer's request reaches the technician. For each of N requests,
// from the moment the customer's submit is sent to (a) the job appearing on the technician's open board
// in a real Chromium (live feed, no reload) and (b) the encrypted push arriving at a push service on loopback
// (the suite's own, which verifies and decrypts it). Each request is cancelled once seen, as jobs leave the
// board in real life. With [others], that many other customers' status feeds are open throughout (on 50 other
// requests). Usage: node tests/bench/alerts.mjs [requests] [others]
import { addStaff, launch, phone, staffSession, startServer } from '../e2e/harness.mjs';
import { startPushService } from '../e2e/push-service.mjs';

const n = Number(process.argv[2] ?? 100);
const others = Number(process.argv[3] ?? 0);
const push = await startPushService();
const server = await startServer(['--push-allow-http', '--send-limit-per-minute', '1000000', '--read-limit-per-minute', '1000000', '--partner-limit-per-minute', '1000000',
  '--feed-limit-per-minute', '1000000', '--feeds-per-client', '100000', '--max-feeds', String(others + 100)]);
const browser = await launch();
try {
  const sam = addStaff(server, 'sam', 'Sam Rivera', 'technician');
  const http = await staffSession(server.base, sam);
  await http.post('/tech/push/subscribe', { device_id: 'bench-device', ...push.subscribe('bench') });
  await http.post('/tech/duty', new URLSearchParams({ on: '1' }));

  const context = await phone(browser, server.base);
  // When each feed message reaches the page, on the clock both sides share (epoch ms): to tell the network's part
  // from the page's (redraw) and from the harness's (the observer's call back to node).
  await context.addInitScript(() => {
    const Native = window.EventSource;
    window.EventSource = function (...args) {
      const source = new Native(...args);
      source.addEventListener('message', () => { window.lastArrival = performance.timeOrigin + performance.now(); });
      return source;
    };
    window.EventSource.prototype = Native.prototype;
    Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2 });
  });
  const page = await context.newPage();
  await page.goto('/tech');
  await page.fill('input[name=login]', sam.login);
  await page.fill('input[name=password]', sam.password);
  await page.getByRole('button', { name: 'Log in' }).tap();
  await page.waitForURL('**/tech');
  await page.locator('[data-alerts]:not([data-alerts=unknown])').waitFor();

  // Other customers watching their own requests: their feeds hear every change and must not slow this one.
  const { connect } = await import('node:net');
  const url = new URL(server.base);
  const otherFeeds = [];
  let otherToken = null;
  for (let i = 0; i < others; i++) {
    if (i % 20 === 0) {
      const r = await fetch(`${server.base}/api/v1/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}` },
        body: JSON.stringify({ problem: 'battery', phone: '+1 201 555 0199', place: `Other ${i}` }),
      });
      otherToken = (await r.json()).token;
    }
    otherFeeds.push(await new Promise((ok, fail) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`GET /r/${otherToken}/events HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
      });
      socket.once('data', () => ok(socket));
      socket.on('error', fail);
    }));
  }

  const seen = new Map();
  const now = () => performance.timeOrigin + performance.now();
  await page.exposeFunction('seen', (number, arrived, drawn) => {
    if (!seen.has(number)) seen.set(number, { arrived, drawn, heard: now() });
  });
  await page.evaluate(() => {
    const told = new Set();
    new MutationObserver(() => {
      const drawn = performance.timeOrigin + performance.now();
      for (const li of document.querySelectorAll('li[data-number]')) {
        if (!told.has(li.dataset.number)) {
          told.add(li.dataset.number);
          window.seen(li.dataset.number, window.lastArrival, drawn);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });

  const board = [];
  const arrived = [];
  const heard = [];
  const pushed = [];
  for (let i = 0; i < n; i++) {
    const sent = now();
    const r = await fetch(`${server.base}/api/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}` },
      body: JSON.stringify({ problem: 'flat_tire', phone: '+1 201 555 0123', place: `Mile marker ${i}` }),
    });
    const created = await r.json();
    const message = await push.next((m) => m.payload.tag === created.number);
    while (!seen.has(created.number)) await new Promise((ok) => setTimeout(ok, 1));
    const at = seen.get(created.number);
    arrived.push(at.arrived - sent);
    board.push(at.drawn - sent);
    heard.push(at.heard - sent);
    pushed.push(performance.timeOrigin + message.at - sent);
    await fetch(`${server.base}/r/${created.token}/cancel`, { method: 'POST', redirect: 'manual' });
  }
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1);
    return `| ${q(0.5)} | ${q(0.95)} | ${q(0.99)} | ${s.at(-1).toFixed(1)} |`;
  };
  console.log(`\n${n} requests, ${others} other status feeds open, ms from the submit (sent):\n`);
  console.log('| to | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|');
  console.log(`| feed message reaches the technician's page (Chromium) ${stats(arrived)}`);
  console.log(`| job drawn on the technician's open board (Chromium) ${stats(board)}`);
  console.log(`| the harness hears of it (observer's call back to node) ${stats(heard)}`);
  console.log(`| push received and decrypted at the push service ${stats(pushed)}`);
  for (const socket of otherFeeds) socket.destroy();
} finally {
  await browser.close();
  await server.stop();
  await push.close();
}
