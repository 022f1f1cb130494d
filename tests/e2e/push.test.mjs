// Web Push end to end: the real server sends to the suite's own push service on loopback, which verifies the
// VAPID signature and decrypts the RFC 8291 payload before the test reads it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addStaff, setUp, staffSession, partnerPost } from './harness.mjs';
import { startPushService } from './push-service.mjs';

const env = setUp({ args: ['--push-allow-http', '--escalate-after', '90s'], withBrowser: false });
let push;
before(async () => {
  push = await startPushService();
});
after(async () => {
  await push?.close();
});

const onDuty = (sam) => sam.post('/tech/duty', new URLSearchParams({ on: '1' }));

test('a new request reaches an on-duty technician\'s phone by push, named and linked to the job', async () => {
  const sam = await staffSession(env.server.base, addStaff(env.server, 'sam', 'Sam Rivera', 'technician'));
  const info = await (await sam.get('/staff/api/push')).json();
  assert.equal(Buffer.from(info.public_key, 'base64url').length, 65);
  const device = push.subscribe('sams-phone');
  const saved = await sam.post('/tech/push/subscribe', { device_id: 'sams-phone-1', ...device });
  assert.equal(saved.status, 204, await saved.text());
  assert.equal((await onDuty(sam)).status, 204);
  const crew = (await (await sam.get('/staff/api/board')).json()).data.crew;
  assert.deepEqual(crew.map((c) => [c.name, c.devices]), [['Sam Rivera', 1]], 'dispatch sees Sam can be reached');

  const created = await (await partnerPost(env.server.base, { problem: 'battery', phone: '+1 201 555 0123', place: 'Shell station, Route 9 north', vehicle: { make: 'Ford', model: 'Focus', colour: 'red' } })).json();

  const message = await push.next((m) => m.payload.tag === created.number);
  assert.deepEqual(message.payload, {
    title: `Battery / won't start · ${created.number}`,
    body: 'Shell station, Route 9 north · red Ford Focus',
    url: `/tech/jobs/${created.number}?seen=push`,
    tag: created.number,
  });
  assert.equal(message.vapid.publicKey, info.public_key, 'signed with the key browsers subscribe with');
  assert.equal(message.urgency, 'high');
  assert.equal(message.ttl, 90, 'kept no longer than until the ladder\'s next rung');
  assert.deepEqual(push.rejected, []);
});

test('each technician is alerted in their own language about the same request', async () => {
  const member = addStaff(env.server, 'ira', 'Ира Петрова', 'technician', undefined, ['--language', 'ru']);
  const ira = await staffSession(env.server.base, member);
  const device = push.subscribe('iras-phone');
  assert.equal((await ira.post('/tech/push/subscribe', { device_id: 'iras-phone-1', ...device })).status, 204);
  assert.equal((await onDuty(ira)).status, 204);
  const request = { problem: 'flat_tire', phone: '+7 912 345 67 89', place: 'М-11, 120 км', someone_inside: true };
  const created = await (await partnerPost(env.server.base, request)).json();
  const hers = await push.next((m) => m.id === 'iras-phone' && m.payload.tag === created.number);
  assert.equal(hers.payload.title, `СРОЧНО, в машине ребёнок или животное · Спущено колесо · ${created.number}`);
  const his = await push.next((m) => m.id === 'sams-phone' && m.payload.tag === created.number);
  assert.equal(his.payload.title, `EMERGENCY, child or pet inside · Flat tire · ${created.number}`);
  assert.equal((await ira.post('/tech/push/test')).status, 200);
  const testAlert = await push.next((m) => m.id === 'iras-phone' && m.payload.tag === 'test');
  assert.deepEqual([testAlert.payload.title, testAlert.payload.body],
    ['Пробное уведомление', 'Ира, этот телефон зазвонит при новых заявках.']);
  assert.equal((await ira.post('/tech/duty', new URLSearchParams({ on: '0' }))).status, 204);
});

test('off duty, no alert; the test alert proves a device; a forgotten subscription is pruned', async () => {
  const kim = await staffSession(env.server.base, addStaff(env.server, 'kim', 'Kim Lee', 'technician'));
  const device = push.subscribe('kims-phone');
  assert.equal((await kim.post('/tech/push/subscribe', { device_id: 'kims-phone-1', ...device })).status, 204);
  // Subscribing again from the same device replaces, never duplicates.
  const again = push.subscribe('kims-phone-renewed');
  assert.equal((await kim.post('/tech/push/subscribe', { device_id: 'kims-phone-1', ...again })).status, 204);
  assert.equal((await (await kim.get('/staff/api/push')).json()).devices, 1);

  await partnerPost(env.server.base, { problem: 'lockout', phone: '+1 201 555 0123', place: 'Mall car park' });
  const report = await (await kim.post('/tech/push/test')).json();
  assert.deepEqual(report, { devices: 1, delivered: 1, not_reached: 0 });
  const testAlert = await push.next((m) => m.id === 'kims-phone-renewed' && m.payload.tag === 'test');
  assert.equal(testAlert.payload.body, 'Kim, this phone will ring for new jobs.');
  assert.equal(push.received.filter((m) => m.id.startsWith('kims-phone') && m.payload.tag !== 'test').length, 0,
    'Kim is off duty: no job alert');

  push.expire(again.endpoint);
  const pruned = await (await kim.post('/tech/push/test')).json();
  assert.deepEqual(pruned, { devices: 1, delivered: 0, not_reached: 1 });
  assert.equal((await (await kim.get('/staff/api/push')).json()).devices, 0);
});

test('subscriptions are checked before they are stored', async () => {
  const lee = await staffSession(env.server.base, addStaff(env.server, 'lee', 'Lee Park', 'technician'));
  const good = push.subscribe();
  const cases = [
    [{ device_id: 'short', ...good }, /device_id/],
    [{ device_id: 'device-0001', endpoint: 'http://10.0.0.1/push/x', keys: good.keys }, /https/],
    [{ device_id: 'device-0001', endpoint: good.endpoint, keys: { ...good.keys, p256dh: 'AAAA' } }, /P-256/],
    [{ device_id: 'device-0001', endpoint: good.endpoint, keys: { ...good.keys, auth: 'AAAA' } }, /16 bytes/],
    [{ device_id: 'device-0001' }, /could not be read/],
  ];
  for (const [body, reason] of cases) {
    const r = await lee.post('/tech/push/subscribe', body);
    assert.equal(r.status, 422);
    assert.match((await r.json()).message, reason);
  }
  assert.equal((await (await lee.get('/staff/api/push')).json()).devices, 0);
  // Without the CSRF token, refused.
  const forged = await fetch(`${env.server.base}/tech/push/subscribe`, {
    method: 'POST',
    headers: { cookie: lee.cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ device_id: 'device-0001', ...good }),
  });
  assert.equal(forged.status, 403);
});
