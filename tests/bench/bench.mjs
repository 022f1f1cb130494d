// Benchmarks (not tests): what the customer's phone downloads for "/", and how long sequential partner-API
// creates take. Runs the release server on a fresh SQLite file. Usage: node tests/bench/bench.mjs [creates]
import { startServer } from '../e2e/harness.mjs';

const creates = Number(process.argv[2] ?? 1000);
const server = await startServer(['--send-limit-per-minute', '1000000', '--read-limit-per-minute', '1000000', '--partner-limit-per-minute', '1000000']);
try {
  // 1. Bytes on the wire for the customer's first visit, as served (brotli), and the same with gzip.
  const size = async (path, encoding) => {
    const r = await fetch(`${server.base}${path}`, { headers: { 'accept-encoding': encoding } });
    const body = new Uint8Array(await r.arrayBuffer()); // fetch decodes; count what was sent
    return { sent: Number(r.headers.get('content-length') ?? 0) || null, decoded: body.length, encoding: r.headers.get('content-encoding') };
  };
  const html = await (await fetch(`${server.base}/`)).text();
  const assets = [...html.matchAll(/(?:href|src)="(\/pkg\/[^"]+)"/g)].map((m) => m[1]);
  const wasm = assets.find((a) => a.endsWith('.wasm'));
  const paths = ['/', ...new Set(assets.filter((a) => !a.endsWith('.wasm'))), ...(wasm ? [wasm] : [])];
  console.log('\n| file | raw bytes | brotli bytes (as served) | gzip bytes |\n|---|---:|---:|---:|');
  let total = { raw: 0, br: 0, gz: 0 };
  for (const p of paths) {
    const br = await size(p, 'br');
    const gz = await size(p, 'gzip');
    // Dynamic pages are compressed on the fly (chunked, no content-length): measure them with a raw socket.
    const brBytes = br.sent ?? (await wireBytes(p, 'br'));
    const gzBytes = gz.sent ?? (await wireBytes(p, 'gzip'));
    total.raw += br.decoded; total.br += brBytes; total.gz += gzBytes;
    console.log(`| ${p.replace(/\.[A-Za-z0-9_-]{22}\./, '.<hash>.')} | ${br.decoded} | ${brBytes} | ${gzBytes} |`);
  }
  console.log(`| **total** | ${total.raw} | ${total.br} | ${total.gz} |`);

  // 2. Sequential creates over one keep-alive connection, each committed with a full sync before the answer.
  const body = JSON.stringify({ problem: 'battery', phone: '+1 201 555 0123', location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 } });
  const times = [];
  const start = performance.now();
  for (let i = 0; i < creates; i++) {
    const t = performance.now();
    const r = await fetch(`${server.base}/api/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.partnerKey}`, 'idempotency-key': `bench-${i}` }, body });
    if (r.status !== 201) throw new Error(`create ${i}: ${r.status}`);
    await r.arrayBuffer();
    times.push(performance.now() - t);
  }
  const total_ms = performance.now() - start;
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  console.log(`\n${creates} sequential API creates: ${(total_ms / 1000).toFixed(2)} s total, ${(creates / (total_ms / 1000)).toFixed(0)}/s; per request p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${times.at(-1).toFixed(2)} ms`);
} finally {
  await server.stop();
}

async function wireBytes(path, encoding) {
  const { connect } = await import('node:net');
  const url = new URL(server.base);
  return new Promise((ok, fail) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept-Encoding: ${encoding}\r\nConnection: close\r\n\r\n`);
    });
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', fail);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString();
      let rest = all.subarray(split + 4);
      if (/transfer-encoding: chunked/i.test(head)) {
        // Count payload bytes only, not chunk framing.
        let n = 0;
        let i = 0;
        while (i < rest.length) {
          const eol = rest.indexOf('\r\n', i);
          const len = parseInt(rest.subarray(i, eol).toString(), 16);
          if (!len) break;
          n += len;
          i = eol + 2 + len + 2;
        }
        ok(n);
      } else ok(rest.length);
    });
  });
}
