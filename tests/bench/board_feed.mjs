// Benchmark (not a test): from a submit's answer to the frame carrying the new job on the on-duty technician's
// board feed, read from a raw socket (no browser), with [others] other customers' status feeds open (on other
// requests, 20 to a request). Set beside alerts.mjs, which measures the same path to Chromium's redrawn board:
// the difference is the browser's share. Usage: node tests/bench/board_feed.mjs [requests] [others]
import { connect } from 'node:net';
import { addStaff, staffSession, startServer } from '../e2e/harness.mjs';

const n = Number(process.argv[2] ?? 100);
const others = Number(process.argv[3] ?? 0);
const server = await startServer([
  '--send-limit-per-minute', '1000000', '--read-limit-per-minute', '1000000', '--partner-limit-per-minute', '1000000',
  '--feed-limit-per-minute', '1000000', '--feeds-per-client', '100000', '--max-feeds', String(others + 100),
]);
const url = new URL(server.base);
const create = async (body) => fetch(`${server.base}/api/v1/requests`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}` },
  body: JSON.stringify(body),
});
/// A raw SSE connection; `onData` gets each chunk with the time it was read. Resolves at the first chunk.
const feed = (path, headers, onData = () => {}) => new Promise((opened, fail) => {
  const socket = connect(Number(url.port), url.hostname, () => {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n${headers}Accept: text/event-stream\r\n\r\n`);
  });
  socket.on('data', (chunk) => {
    onData(chunk, performance.now());
    opened(socket);
  });
  socket.on('error', fail);
});

try {
  const sam = addStaff(server, 'sam', 'Sam Okafor', 'technician');
  const http = await staffSession(server.base, sam);
  await http.post('/tech/duty', new URLSearchParams({ on: '1' }));
  const seen = new Map();
  let tail = '';
  const sockets = [await feed('/staff/api/board/events', `Cookie: ${http.cookie}\r\n`, (chunk, at) => {
    tail = (tail + chunk.toString()).slice(-4096);
    for (const m of tail.matchAll(/RC-[3-9A-Y]{4,5}/g)) if (!seen.has(m[0])) seen.set(m[0], at);
  })];
  let token = null;
  for (let i = 0; i < others; i++) {
    if (i % 20 === 0) token = (await (await create({ problem: 'battery', phone: '+1 201 555 0199', place: `Other ${i}` })).json()).token;
    sockets.push(await feed(`/r/${token}/events`, ''));
  }
  const times = [];
  for (let i = 0; i < n; i++) {
    const r = await create({ problem: 'flat_tire', phone: '+1 201 555 0123', place: `Mile marker ${i}` });
    const answered = performance.now();
    const created = await r.json();
    while (!seen.has(created.number)) await new Promise((ok) => setTimeout(ok, 1));
    times.push(seen.get(created.number) - answered);
    await fetch(`${server.base}/r/${created.token}/cancel`, { method: 'POST', redirect: 'manual' });
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
  console.log(`\n${n} requests, ${others} other status feeds open, ms from the submit's answer to the board feed's frame:\n`);
  console.log('| p50 | p95 | p99 | max |\n|---:|---:|---:|---:|');
  console.log(`| ${q(0.5)} | ${q(0.95)} | ${q(0.99)} | ${times.at(-1).toFixed(1)} |`);
  sockets.forEach((s) => s.destroy());
} finally {
  await server.stop();
}
