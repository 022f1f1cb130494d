// Benchmark (not a test): one change to a request watched by N live feeds (its customer's status page open N
// times): how long until each feed has the new view (p50, p99, max), and the server's memory per open feed.
// Usage: node tests/bench/feeds.mjs [feeds]   (needs `ulimit -n` above the feed count, for both processes)
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer } from '../e2e/harness.mjs';

const feeds = Number(process.argv[2] ?? 10000);
const server = await startServer([
  '--max-feeds', String(feeds + 100), '--feeds-per-client', String(feeds + 100),
  '--read-limit-per-minute', '100000000', '--send-limit-per-minute', '100000000', '--partner-limit-per-minute', '100000000',
  '--feed-limit-per-minute', '100000000',
]);
// CPU time used so far, in ms (user + system): the server's from /proc, this client's own from node.
const serverCpuMs = () => {
  const fields = readFileSync(`/proc/${server.pid()}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms
};
const clientCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const rssKiB = () => Number(readFileSync(`/proc/${server.pid()}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
const url = new URL(server.base);

/// A raw SSE connection: resolves `opened` at the first full view, and records when a view with `marker` arrives.
/// With ten thousand sockets in this one process, the client's own work per message is part of what is measured, so
/// it is kept small: every socket reads into one shared buffer (`onread`, no buffer or stream event per read), and
/// each read is searched once.
const readInto = Buffer.allocUnsafe(64 * 1024);
function open(path, marker, arrivals) {
  return new Promise((opened, fail) => {
    let opening = true;
    let recorded = false;
    const socket = connect({
      port: Number(url.port),
      host: url.hostname,
      onread: {
        buffer: readInto,
        callback: (n, buffer) => {
          const chunk = buffer.subarray(0, n);
          if (opening && chunk.includes('\ndata:')) {
            opening = false;
            opened(socket);
          } else if (!opening && !recorded && chunk.includes(marker)) {
            arrivals.push(performance.now());
            recorded = true;
          }
        },
      },
    }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.on('error', fail);
  });
}

try {
  const r = await fetch(`${server.base}/api/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}` },
    body: JSON.stringify({ problem: 'battery', phone: '+1 201 555 0123', location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 } }),
  });
  const { token } = await r.json();
  const before = rssKiB();
  const arrivals = [];
  const sockets = [];
  for (let i = 0; i < feeds; i += 500) {
    const batch = Array.from({ length: Math.min(500, feeds - i) }, () => open(`/r/${token}/events`, '"callback_requested":true', arrivals));
    sockets.push(...(await Promise.all(batch)));
  }
  await new Promise((r) => setTimeout(r, Number(process.env.SETTLE_MS ?? 2000))); // let allocations settle
  const after = rssKiB();
  // The change: the customer asks to be called back.
  const [serverBefore, clientBefore] = [serverCpuMs(), clientCpuMs()];
  const sent = performance.now();
  const asked = await fetch(`${server.base}/r/${token}/callback`, { method: 'POST', headers: { accept: 'application/json' } });
  if (asked.status >= 400) throw new Error(`callback: ${asked.status}`);
  while (arrivals.length < feeds && performance.now() - sent < 60000) await new Promise((r) => setTimeout(r, 5));
  const [serverCpu, clientCpu] = [serverCpuMs() - serverBefore, clientCpuMs() - clientBefore];
  const times = arrivals.map((t) => t - sent).sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
  console.log(`\n| measure (${feeds} status feeds on one request) | figure |\n|---|---:|`);
  console.log(`| feeds that received the change | ${times.length} of ${feeds} |`);
  console.log(`| change to feed, p50 / p99 / max | ${q(0.5)} / ${q(0.99)} / ${times.at(-1).toFixed(0)} ms |`);
  console.log(`| CPU time from the change to the last arrival: server / this client | ${serverCpu} / ${clientCpu.toFixed(0)} ms |`);
  console.log(`| server memory per open feed (RSS ${before} → ${after} KiB) | ${((after - before) / feeds).toFixed(1)} KiB |`);
  for (const s of sockets) s.destroy();
} finally {
  await server.stop();
}
