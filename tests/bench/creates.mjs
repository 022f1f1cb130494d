// Benchmark (not a test): durable creates/s over HTTP with 1 and with 32 clients, against the raw append +
// fsync rate of the same disk measured in the same run. Each create is answered only after its commit is
// synced (WAL, synchronous=FULL); the server commits the creates that are waiting together.
// Usage: node tests/bench/creates.mjs [creates per run]
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/harness.mjs';

const creates = Number(process.argv[2] ?? 4000);

/// Appends a 512-byte record and fsyncs it, for `ms`: the disk's own limit for durable writes, one at a time.
function rawFsyncRate(ms) {
  const dir = mkdtempSync(join(tmpdir(), 'roadcall-fsync-'));
  const fd = openSync(join(dir, 'log'), 'a');
  const record = Buffer.alloc(512, 'x');
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    writeSync(fd, record);
    fsyncSync(fd);
    n++;
  }
  const rate = n / ((performance.now() - start) / 1000);
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

const limits = ['--send-limit-per-minute', '100000000', '--read-limit-per-minute', '100000000', '--partner-limit-per-minute', '100000000'];
const server = await startServer(limits);
const body = JSON.stringify({ problem: 'battery', phone: '+1 201 555 0123', location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 } });
let sent = 0;

async function create() {
  const i = sent++;
  const r = await fetch(`${server.base}/api/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}`, 'idempotency-key': `bench-${i}` },
    body,
  });
  if (r.status !== 201) throw new Error(`create ${i}: ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}

async function run(clients) {
  const each = Math.ceil(creates / clients);
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = 0; i < each; i++) await create();
  }));
  return (each * clients) / ((performance.now() - start) / 1000);
}

try {
  await run(8); // warm up: connections, caches
  const fsyncBefore = rawFsyncRate(3000);
  const one = await run(1);
  const many = await run(32);
  const fsyncAfter = rawFsyncRate(3000);
  const fsync = (fsyncBefore + fsyncAfter) / 2;
  console.log(`\n| measure | figure |\n|---|---:|`);
  console.log(`| raw append + fsync, 512 B, one at a time (mean of before and after) | ${fsync.toFixed(0)}/s |`);
  console.log(`| durable creates over HTTP, 1 client | ${one.toFixed(0)}/s (${(one / fsync * 100).toFixed(0)} % of raw fsync) |`);
  console.log(`| durable creates over HTTP, 32 clients | ${many.toFixed(0)}/s (${(many / fsync * 100).toFixed(0)} % of raw fsync) |`);
} finally {
  await server.stop();
}
