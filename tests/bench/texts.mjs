// Benchmark (not a test): how fast the customer's "we have your request" text reaches the provider. For each of
// N requests, sent one after another through the partner API, from the server's 201 (the request is committed:
// the text is in the outbox, written in the same transaction) to the text arriving at a Twilio-compatible provider
// on loopback. Usage: node tests/bench/texts.mjs [requests]
import { createServer } from 'node:http';
import { startServer } from '../e2e/harness.mjs';

const n = Number(process.argv[2] ?? 100);
const arrivals = new Map();
const waiting = new Map();
const provider = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    const at = performance.now();
    const form = new URLSearchParams(body);
    const number = /RC-[0-9A-Z]+/.exec(form.get('Body') ?? '')?.[0];
    if (number && !arrivals.has(number)) {
      arrivals.set(number, at);
      waiting.get(number)?.();
    }
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ sid: `SM${crypto.randomUUID().replaceAll('-', '')}`, status: 'queued' }));
  });
});
await new Promise((ok) => provider.listen(0, '127.0.0.1', ok));
const api = `http://127.0.0.1:${provider.address().port}`;
const server = await startServer(['--partner-limit-per-minute', '1000000', '--twilio-api-base', api,
  '--twilio-account-sid', 'ACbench', '--twilio-auth-token', 'bench-token', '--twilio-from', '+12025550100']);
try {
  const committed = [];
  const submitted = [];
  for (let i = 0; i < n; i++) {
    const sent = performance.now();
    const r = await fetch(`${server.base}/api/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}` },
      body: JSON.stringify({ problem: 'flat_tire', phone: '+1 201 555 0123', place: `Mile marker ${i}` }),
    });
    const acknowledged = performance.now();
    const { number } = await r.json();
    if (!arrivals.has(number)) await new Promise((ok) => waiting.set(number, ok));
    committed.push(arrivals.get(number) - acknowledged);
    submitted.push(arrivals.get(number) - sent);
  }
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1);
    return `| ${q(0.5)} | ${q(0.95)} | ${q(0.99)} | ${s.at(-1).toFixed(1)} |`;
  };
  console.log(`\n${n} requests one after another, ms to the customer's first text at the provider:\n`);
  console.log('| from | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|');
  console.log(`| the 201 (request committed) ${stats(committed)}`);
  console.log(`| the submit ${stats(submitted)}`);
} finally {
  await server.stop();
  provider.close();
}
