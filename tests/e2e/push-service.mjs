// A Web Push service for the test suite, on loopback: what FCM or Mozilla's autopush are to a real phone.
// It hands out subscriptions for devices whose private keys it holds, and for every push it receives it
// checks the VAPID JWT (ES256 signature over the sender's key, audience = this origin, expiry within 24 h),
// decrypts the RFC 8291 aes128gcm body with the device's key, and records the message. Nothing is trusted:
// a bad signature or a body that does not decrypt is answered 400/401 and recorded as a rejection.
import { createECDH, createPublicKey, hkdfSync, createDecipheriv, randomBytes, verify } from 'node:crypto';
import { createServer } from 'node:http';

const b64 = (buf) => Buffer.from(buf).toString('base64url');

export async function startPushService() {
  const devices = new Map(); // id → { ecdh, auth, gone }
  const received = [];
  const rejected = [];
  const waiters = [];

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const id = decodeURIComponent(req.url.replace(/^\/push\//, ''));
      const device = devices.get(id);
      if (req.method !== 'POST' || !device) return answer(404, 'no such subscription');
      if (device.gone) return answer(410, 'subscription expired');
      try {
        const vapid = checkVapid(req.headers.authorization ?? '', origin);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('content-encoding must be aes128gcm');
        const payload = decrypt(Buffer.concat(chunks), device);
        const message = { id, at, vapid, ttl: Number(req.headers.ttl), urgency: req.headers.urgency, payload: JSON.parse(payload) };
        received.push(message);
        for (const w of [...waiters]) {
          if (w.match(message)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(message);
          }
        }
        answer(201, '');
      } catch (e) {
        rejected.push({ id, error: e.message });
        answer(e.status ?? 400, e.message);
      }
    });
    function answer(status, text) {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;

  return {
    origin,
    received,
    rejected,
    /// A new device: the subscription its browser would hand to the app.
    subscribe(id = b64(randomBytes(9))) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      devices.set(id, { ecdh, auth, gone: false });
      return { endpoint: `${origin}/push/${id}`, keys: { p256dh: b64(ecdh.getPublicKey()), auth: b64(auth) } };
    },
    /// From now on the service answers 410 Gone for this device, as when a phone dropped its subscription.
    expire(endpoint) {
      devices.get(decodeURIComponent(endpoint.split('/push/')[1])).gone = true;
    },
    /// The next message (already received or yet to come) that `match` accepts.
    next(match = () => true, timeoutMs = 10_000) {
      const seen = received.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          if (waiters.includes(waiter)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(new Error(`no push within ${timeoutMs} ms; rejected: ${JSON.stringify(rejected)}`));
          }
        }, timeoutMs);
      });
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

function refuse(status, message) {
  const e = new Error(message);
  e.status = status;
  return e;
}

/// RFC 8292: `vapid t=<JWT>, k=<key>`, the JWT signed with ES256 by the key, for this origin, not expired.
function checkVapid(header, origin) {
  const m = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(header);
  if (!m) throw refuse(401, `not a VAPID authorization: ${header.slice(0, 40)}`);
  const [, h, c, s, k] = m;
  const jwtHeader = JSON.parse(Buffer.from(h, 'base64url'));
  if (jwtHeader.alg !== 'ES256') throw refuse(401, `JWT alg ${jwtHeader.alg}`);
  const key = Buffer.from(k, 'base64url');
  if (key.length !== 65 || key[0] !== 4) throw refuse(401, 'k is not an uncompressed P-256 point');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64(key.subarray(1, 33)), y: b64(key.subarray(33)) },
    format: 'jwk',
  });
  const ok = verify('sha256', Buffer.from(`${h}.${c}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw refuse(401, 'VAPID signature does not verify');
  const claims = JSON.parse(Buffer.from(c, 'base64url'));
  const now = Date.now() / 1000;
  if (claims.aud !== origin) throw refuse(401, `JWT aud ${claims.aud}, expected ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw refuse(401, `JWT exp ${claims.exp} out of range`);
  if (!claims.sub) throw refuse(401, 'JWT has no sub');
  return { publicKey: k, claims };
}

/// RFC 8291 with RFC 8188: the user agent's half.
function decrypt(body, device) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (rs < 18 || idlen !== 65) throw refuse(400, `bad header: rs ${rs}, idlen ${idlen}`);
  if (ciphertext.length > rs) throw refuse(400, 'more than one record');
  const uaPublic = device.ecdh.getPublicKey();
  const shared = device.ecdh.computeSecret(asPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, device.auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  let plain;
  try {
    plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  } catch {
    throw refuse(400, 'payload does not decrypt');
  }
  // Strip padding: zeros, then the delimiter 0x02 of the last record.
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (plain[end] !== 2) throw refuse(400, 'last record lacks its 0x02 delimiter');
  return plain.subarray(0, end).toString('utf8');
}
