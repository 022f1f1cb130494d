// Benchmark (not a test): one change to a request watched by N live feeds (its customer's status page open N
// times): how long until each feed has the new view (p50, p99, max), and the server's memory per open feed.
// The feeds are held by a small Rust client (tests/bench/feeds-client): it shares the two cores with the server,
// and Node spent 9–15 ms of CPU per 1,000 feeds reading them, much of the time measured.
// Usage: node tests/bench/feeds.mjs [feeds] [instances]   (needs `ulimit -n` above the feed count)
// With instances 2, two servers share one PostgreSQL (BENCH_POSTGRES: a server's URL, as tests/postgres.sh
// prints) and the feeds are spread over both; the change is made on the first, so half the feeds hear of it
// through the database (LISTEN/NOTIFY).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { freshPostgres, startServer } from '../e2e/harness.mjs';

execFileSync('cargo', ['build', '--release', '-p', 'feeds-client'], { stdio: 'inherit' });

const feeds = Number(process.argv[2] ?? 10000);
const instances = Number(process.argv[3] ?? 1);
const database = instances > 1 ? freshPostgres(process.env.BENCH_POSTGRES) : undefined;
const args = [
  '--max-feeds', String(feeds + 100), '--feeds-per-client', String(feeds + 100),
  '--read-limit-per-minute', '100000000', '--send-limit-per-minute', '100000000', '--partner-limit-per-minute', '100000000',
  '--feed-limit-per-minute', '100000000',
];
const server = await startServer(args, { database });
const servers = [server];
for (let i = 1; i < instances; i++) servers.push(await startServer(args, { database, partnerKey: server.partnerKey }));
// CPU time used so far by a process, in ms (user + system), from /proc.
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms
};
const rssKiB = () => servers.reduce((sum, s) => sum
  + Number(readFileSync(`/proc/${s.pid()}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]), 0);
const serversCpuMs = () => servers.reduce((sum, s) => sum + cpuMs(s.pid()), 0);
const url = new URL(server.base);

try {
  const r = await fetch(`${server.base}/api/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}` },
    body: JSON.stringify({ problem: 'battery', phone: '+1 201 555 0123', location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 } }),
  });
  const { token } = await r.json();
  const before = rssKiB();
  const client = spawn('target/release/feeds-client',
    [servers.map((s) => new URL(s.base).host).join(','), `/r/${token}/events`, String(feeds), '"callback_requested":true', `/r/${token}/callback`],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: client.stdout })[Symbol.asyncIterator]();
  const said = async (what) => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the client ended before it said ${what}`);
    return value;
  };
  if ((await said('opened')) !== 'opened') throw new Error('the client did not open its feeds');
  await new Promise((r) => setTimeout(r, Number(process.env.SETTLE_MS ?? 2000))); // let allocations settle
  const after = rssKiB();
  // The change: the customer asks to be called back (the client sends it, on the clock it times the feeds by).
  const [serverBefore, clientBefore] = [serversCpuMs(), cpuMs(client.pid)];
  client.stdin.write('go\n');
  const { status, times_ms: arrivals } = JSON.parse(await said('its times'));
  const [serverCpu, clientCpu] = [serversCpuMs() - serverBefore, cpuMs(client.pid) - clientBefore];
  client.kill();
  if (status >= 400) throw new Error(`callback: ${status}`);
  const times = arrivals.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
  const where = instances > 1 ? `, over ${instances} instances on PostgreSQL` : '';
  console.log(`\n| measure (${feeds} status feeds on one request${where}) | figure |\n|---|---:|`);
  console.log(`| feeds that received the change | ${times.length} of ${feeds} |`);
  console.log(`| change to feed, p50 / p99 / max | ${q(0.5)} / ${q(0.99)} / ${times.at(-1).toFixed(0)} ms |`);
  console.log(`| CPU time from the change to the last arrival: server / the client | ${serverCpu} / ${clientCpu} ms |`);
  console.log(`| server memory per open feed (RSS ${before} → ${after} KiB) | ${((after - before) / feeds).toFixed(1)} KiB |`);
} finally {
  for (const s of servers) await s.stop();
}
