// Starts the real release server on a free port with a fresh SQLite file, and a real Chromium shaped like a
// phone. Shared by every browser test.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..');

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/// A new, empty database on the PostgreSQL server at `server` (a URL, as tests/postgres.sh prints): its URL.
export function freshPostgres(server) {
  const name = `bench_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  execFileSync('psql', ['-q', '-c', `CREATE DATABASE ${name}`, server]);
  return server.replace(/localhost\/[^?]*/, `localhost/${name}`);
}

/// The real release server on a free port with a fresh SQLite file, or on `database` (another instance on the
/// same PostgreSQL, say, with that one's `partnerKey`). `restart()` kills it with SIGKILL (no chance to tidy up)
/// and starts it again on the same port and database.
export async function startServer(extraArgs = [], shared = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'roadcall-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const database = shared.database ?? `sqlite://${dir}/roadcall.db`;
  const args = [
    '--addr', `127.0.0.1:${port}`,
    '--database-url', database,
    '--site-root', join(root, 'target/site'),
    '--call-us', '+1 202 555 0100',
    ...extraArgs,
  ];
  const run = async () => {
    const proc = spawn(join(root, 'target/release/server'), args,
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, RUST_LOG: 'warn' } });
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    return proc;
  };
  const kill = async (proc) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  // A partner key, made with the CLI as an operator would, for the tests that send as a partner.
  if (shared.partnerKey) {
    partnerKeys.set(base, shared.partnerKey);
  } else {
    const added = execFileSync(join(root, 'target/release/server'), ['partner', 'add', 'e2e', '--database-url', database],
      { cwd: root, env: { ...process.env, RUST_LOG: 'warn' } });
    partnerKeys.set(base, added.toString().trim().split('\n').pop());
  }
  let proc = await run();
  return {
    base,
    database,
    partnerKey: partnerKeys.get(base),
    /// The server process's id now (benchmarks read its memory from /proc).
    pid() {
      return proc.pid;
    },
    async restart() {
      await kill(proc);
      proc = await run();
    },
    async stop() {
      await kill(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/// One server (and, unless told otherwise, one Chromium) for a test file: started before its tests, stopped
/// after. The returned object's `server` and `browser` are filled in once `before` has run.
export function setUp({ args = [], withBrowser = true } = {}) {
  const env = { server: null, browser: null };
  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    env.server = await startServer(args);
    if (withBrowser) env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A 390×844 phone. Options: javaScriptEnabled, geolocation ({latitude, longitude, accuracy}) or null for
/// "permission denied", locale (the phone's language, sent as Accept-Language).
export async function phone(browser, base, { javaScriptEnabled = true, geolocation = null, locale = 'en-US' } = {}) {
  const context = await browser.newContext({
    baseURL: base,
    locale,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
    ...(geolocation ? { geolocation, permissions: ['geolocation'] } : { permissions: [] }),
  });
  return context;
}

/// The request page has hydrated: the wasm has run (it marks <html data-hydrated>).
export async function hydrated(page) {
  await running(page);
}

/// Waits until the wasm runs on a page (any page: the app marks <html data-hydrated>).
export async function running(page) {
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 15000 });
}

/// Waits until the page's live feed is open (`opens`: for the how-manyth time); the page announces it on its
/// root element.
export async function live(page, opens = 1) {
  await page.waitForFunction((n) => document.documentElement.dataset.feed === 'open'
    && Number(document.documentElement.dataset.feedOpens) >= n, opens, { timeout: 15000 });
}

export async function post(base, path) {
  return fetch(`${base}${path}`, { method: 'POST', redirect: 'manual' });
}

export const screenshots = join(root, 'target', 'e2e-screens');

/// Adds a member of staff the way an admin does: `server user add`, password on standard input; `extra`: more
/// of its flags (`['--language', 'ru']`).
export function addStaff(server, login, name, role, password = 'a long enough password', extra = []) {
  execFileSync(join(root, 'target/release/server'),
    ['user', 'add', login, '--name', name, '--role', role, '--database-url', server.database, ...extra],
    { input: `${password}\n`, env: { ...process.env, RUST_LOG: 'warn' } });
  return { login, password };
}

/// Logs in through the real login page, sent there by opening `landing` without a session.
export async function logIn(page, { login, password }, landing = '/tech') {
  await page.goto(landing);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await page.locator('form[action="/login"] button[type=submit]').tap(); // "Log in" or "Войти"
  await page.waitForURL((url) => url.pathname === landing);
}

/// The partner key each test server was started with, by its base URL.
const partnerKeys = new Map();

/// POSTs `body` to the partner API as the test partner: the raw response.
export function partnerPost(base, body) {
  return fetch(`${base}/api/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${partnerKeys.get(base)}` },
    body: JSON.stringify(body),
  });
}

/// Sends a request as a partner's system would: (number, token).
export async function apiRequest(base, body = {}) {
  const r = await partnerPost(base, {
      problem: 'flat_tire',
      phone: '+1 201 555 0123',
      location: { lat: 40.7128, lon: -74.006, accuracy_m: 12 },
      place: 'I-95 northbound, exit 12',
      ...body,
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${await r.text()}`);
  return r.json();
}

/// Logs in over HTTP (no browser) and keeps the session cookie and CSRF token, as the wasm would.
export async function staffSession(base, { login, password }) {
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ login, password }),
  });
  if (r.status !== 200) throw new Error(`login ${login}: ${r.status} ${await r.text()}`);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const board = await (await fetch(`${base}/staff/api/board`, { headers: { cookie } })).json();
  const session = {
    cookie,
    csrf: board.csrf,
    async get(path) {
      return fetch(`${base}${path}`, { headers: { cookie, accept: 'application/json' } });
    },
    async post(path, body = {}) {
      const json = !(body instanceof URLSearchParams);
      return fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          accept: 'application/json',
          'x-csrf-token': session.csrf,
          'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
        },
        body: json ? JSON.stringify(body) : body,
      });
    },
  };
  return session;
}
