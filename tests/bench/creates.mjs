// Benchmark (not a test): durable creates/s over HTTP with 1 and with 32 clients, against the raw append +
// fsync rate of the same disk measured in the same run. Each create is answered only after its commit is
// synced (WAL, synchronous=FULL); the server commits the creates that are waiting together.
// Usage: node tests/bench/creates.mjs [creates per run] [sqlite | postgres | postgres2]
// postgres: one server on a new database on BENCH_POSTGRES (a server's URL, as tests/postgres.sh prints);
// postgres2: two servers on it, the clients spread over both.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgres, startServer } from '../e2e/harness.mjs';

const creates = Number(process.argv[2] ?? 4000);
const backend = process.argv[3] ?? 'sqlite';

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
const database = backend === 'sqlite' ? undefined : freshPostgres(process.env.BENCH_POSTGRES);
const server = await startServer(limits, { database });
const servers = [server];
if (backend === 'postgres2') servers.push(await startServer(limits, { database, partnerKey: server.partnerKey }));
const body = JSON.stringify({ problem: 'battery', phone: '+1 201 555 0123', location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 } });
let sent = 0;

/// One client: a kept-alive HTTP/1.1 connection sending one create at a time, each after the last answer. Raw
/// sockets rather than fetch: on two cores, fetch's own CPU per request would be what this measures.
function client(n) {
  const url = new URL(servers[n % servers.length].base);
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  let waiting = null;
  let seen = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    seen = Buffer.concat([seen, chunk]);
    const head = seen.indexOf('\r\n\r\n');
    if (head < 0) return;
    const headers = seen.subarray(0, head).toString();
    const length = Number(headers.match(/content-length: (\d+)/i)?.[1] ?? 0);
    if (seen.length < head + 4 + length) return;
    const status = Number(headers.slice(9, 12));
    seen = seen.subarray(head + 4 + length);
    const done = waiting;
    waiting = null;
    if (status === 201) done.ok();
    else done.fail(new Error(`create: ${status} ${headers}`));
  });
  socket.on('error', (e) => waiting?.fail(e));
  return {
    create() {
      const i = sent++;
      return new Promise((ok, fail) => {
        waiting = { ok, fail };
        socket.write(`POST /api/v1/requests HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`
          + `Authorization: Bearer ${server.partnerKey}\r\nIdempotency-Key: bench-${i}\r\n`
          + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
    },
    close: () => socket.destroy(),
  };
}

async function run(clients) {
  const each = Math.ceil(creates / clients);
  const all = Array.from({ length: clients }, (_, n) => client(n));
  const start = performance.now();
  await Promise.all(all.map(async (c) => {
    for (let i = 0; i < each; i++) await c.create();
  }));
  const rate = (each * clients) / ((performance.now() - start) / 1000);
  all.forEach((c) => c.close());
  return rate;
}

try {
  await run(8); // warm up: connections, caches
  const fsyncBefore = rawFsyncRate(3000);
  const one = await run(1);
  const many = await run(32);
  const fsyncAfter = rawFsyncRate(3000);
  const fsync = (fsyncBefore + fsyncAfter) / 2;
  const on = { sqlite: 'SQLite', postgres: 'PostgreSQL, 1 instance', postgres2: 'PostgreSQL, 2 instances' }[backend];
  console.log(`\n| measure (${on}) | figure |\n|---|---:|`);
  console.log(`| raw append + fsync, 512 B, one at a time (mean of before and after) | ${fsync.toFixed(0)}/s |`);
  console.log(`| durable creates over HTTP, 1 client | ${one.toFixed(0)}/s (${(one / fsync * 100).toFixed(0)} % of raw fsync) |`);
  console.log(`| durable creates over HTTP, 32 clients | ${many.toFixed(0)}/s (${(many / fsync * 100).toFixed(0)} % of raw fsync) |`);
} finally {
  for (const s of servers) await s.stop();
}
