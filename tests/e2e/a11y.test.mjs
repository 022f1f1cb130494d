// WCAG 2.2 AA on every page of every role, by axe-core in a real Chromium at 390×844: by day and at night (the
// phone's colour scheme), with the wasm running and without it (scripts refused, as on a phone that never got
// them). Animations are stilled (reduced motion), as axe reads colours mid-blink otherwise. Every target a thumb
// taps is at least 48 px.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { addStaff, apiRequest, logIn, phone, running, setUp, staffSession } from './harness.mjs';

const env = setUp();
const WCAG22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/// Every violation on the open page, as "rule: element, element" lines (empty when none).
async function violations(page) {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG22_AA).analyze();
  return violations.map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/// Every target a thumb taps on the open page that is less than 48 px high or wide, as "tag.class "text" w×h".
/// A radio or a checkbox is tapped through its label; a link inside a sentence is exempt (WCAG 2.5.8: inline).
async function smallTargets(page) {
  return page.evaluate(() => {
    const small = [];
    const seen = new Set();
    for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
      const target = (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) || el;
      if (seen.has(target)) continue;
      seen.add(target);
      const box = target.getBoundingClientRect();
      const style = getComputedStyle(target);
      if ((box.width === 0 && box.height === 0) || style.visibility === 'hidden') continue;
      if (target.tagName === 'A' && style.display === 'inline') continue;
      if (box.height < 47.5 || box.width < 47.5) {
        const text = (target.innerText || target.getAttribute('name') || '').trim().slice(0, 30);
        small.push(`${target.tagName.toLowerCase()}.${target.className} "${text}" ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return small;
  });
}

/// Opens `path` in a phone set to `locale`, with the wasm or without, and audits it by day and at night.
async function audit(path, { login = null, wasm = true, locale = 'en-US' } = {}) {
  const found = [];
  const context = await phone(env.browser, env.server.base, { locale });
  if (!wasm) await context.route(/\.(js|wasm)$/, (r) => r.abort());
  const page = await context.newPage();
  await page.emulateMedia({ reducedMotion: 'reduce' });
  if (login) await logIn(page, login, path);
  else await page.goto(path);
  if (wasm) await running(page);
  // Thumbs: every target at least 48 px (PRODUCT: phones, gloves, the roadside at night).
  for (const t of await smallTargets(page)) found.push(`${path} ${locale}${wasm ? '' : ' without wasm'}: small target ${t}`);
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    const lang = await page.getAttribute('html', 'lang');
    assert.equal(lang, locale.slice(0, 2), `${path} is drawn in the phone's language`);
    for (const v of await violations(page)) found.push(`${path} ${lang} ${colorScheme}${wasm ? '' : ' without wasm'}: ${v}`);
  }
  await context.close();
  return found;
}

test('every page of every role meets WCAG 2.2 AA with 48 px targets in both languages, by day and at night, with and without the wasm', async () => {
  // Staff pages are drawn in the member's own language, whatever the phone's: one of each role per language.
  const tech = addStaff(env.server, 'sam', 'Sam Rivera', 'technician', undefined, ['--language', 'en']);
  const desk = addStaff(env.server, 'dee', 'Dee Okafor', 'dispatcher', undefined, ['--language', 'en']);
  const russian = {
    [tech.login]: addStaff(env.server, 'ira', 'Ира Петрова', 'technician', undefined, ['--language', 'ru']),
    [desk.login]: addStaff(env.server, 'dana', 'Дана Орлова', 'dispatcher', undefined, ['--language', 'ru']),
  };
  const { number, token } = await apiRequest(env.server.base, { name: 'Maria', vehicle: { make: 'Volvo' } });
  const accepted = await apiRequest(env.server.base, { phone: '+1 201 555 0199' });
  const sam = await staffSession(env.server.base, tech);
  assert.equal((await sam.post(`/tech/jobs/${accepted.number}/step`, new URLSearchParams({ action: 'accept' }))).status, 204);

  const pages = [
    ['/'],
    [`/r/${token}`],
    [`/r/${accepted.token}`],
    ['/r/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
    ['/login'],
    ['/tech', tech],
    [`/tech/jobs/${accepted.number}`, tech],
    ['/dispatch', desk],
    [`/dispatch/requests/${number}`, desk],
    ['/dispatch/new', desk],
    ['/dispatch/reports', desk],
    ['/dispatch/setup', desk],
  ];
  const found = [];
  for (const [path, login] of pages) {
    for (const locale of ['en-US', 'ru-RU']) {
      const member = login && locale === 'ru-RU' ? russian[login.login] : login;
      for (const wasm of [true, false]) found.push(...await audit(path, { login: member, wasm, locale }));
    }
  }
  assert.deepEqual(found, []);
});

test('a refused request form, drawn again by the server with its reasons, meets WCAG 2.2 AA', async () => {
  for (const colorScheme of ['light', 'dark']) {
    // Scripts refused: the plain form posts, and the server answers with the form and the reasons.
    const context = await phone(env.browser, env.server.base);
    await context.route(/\.(js|wasm)$/, (r) => r.abort());
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await page.goto('/');
    await page.locator('label.tile', { hasText: 'Flat tire' }).tap();
    await page.fill('input[name=phone]', '12');
    await page.getByRole('button', { name: 'Send request' }).tap();
    await page.waitForURL(/\/request$/);
    await page.locator('.errors').waitFor();
    assert.deepEqual(await violations(page), [], colorScheme);
    await context.close();
  }
});

/// Presses Tab until the focus is on `selector`, checking that every stop on the way shows where the focus is
/// (a ring of at least 2 px on the element or on the label that draws it) and is not hidden under the sticky
/// header or the send bar.
async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate((sel) => {
      const el = document.activeElement;
      const ringed = (e) => {
        const s = getComputedStyle(e);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
      };
      const drawn = el.matches('.tile input, .someone-inside input') ? el.closest('label') : el;
      const box = drawn.getBoundingClientRect();
      const bar = document.querySelector('.bar')?.getBoundingClientRect().bottom ?? 0;
      const send = document.querySelector('.send-bar')?.getBoundingClientRect().top ?? innerHeight;
      const covered = el.closest('.bar, .send-bar') === null && (box.bottom <= bar || box.top >= send);
      return { at: el.matches(sel), ringed: ringed(drawn), covered, what: el.outerHTML.slice(0, 100) };
    }, selector);
    assert.ok(stop.ringed, `the focus is visible on ${stop.what}`);
    assert.ok(!stop.covered, `the focus is not hidden under a bar: ${stop.what}`);
    if (stop.at) return;
  }
  throw new Error(`Tab never reaches ${selector}`);
}

test('a keyboard alone sends the customer’s request, works the technician’s job and confirms the arrival', async () => {
  const context = await phone(env.browser, env.server.base, { geolocation: { latitude: 52.52, longitude: 13.405, accuracy: 9 } });
  const page = await context.newPage();
  await page.goto('/');
  await running(page);
  await tabTo(page, 'input[name=problem]');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  const chosen = await page.evaluate(() => document.querySelector('input[name=problem]:checked')?.value);
  assert.ok(chosen, 'a problem is chosen by keyboard');
  await page.getByText('accurate to 9 m').waitFor();
  await tabTo(page, 'input[name=phone]');
  await page.keyboard.type('(201) 555-0142');
  await tabTo(page, 'button.send');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/r\/[a-z2-7]{32}$/);
  const number = await page.locator('.number').innerText();

  const tech = addStaff(env.server, 'kai', 'Kai Berg', 'technician');
  const desk = addStaff(env.server, 'ida', 'Ida Moss', 'dispatcher');
  const techPage = await context.newPage();
  await logIn(techPage, tech, `/tech/jobs/${number}`);
  await running(techPage);
  await tabTo(techPage, 'button[data-step=accept]');
  await techPage.keyboard.press('Enter');
  await page.getByText('Kai has accepted your request.').waitFor({ timeout: 5000 });
  await tabTo(techPage, 'input[name=eta_minutes]');
  await techPage.keyboard.press('ControlOrMeta+A');
  await techPage.keyboard.type('15');
  await techPage.keyboard.press('Enter');
  await page.getByText('Kai is on the way, about 15 min.').waitFor({ timeout: 5000 });

  const deskContext = await phone(env.browser, env.server.base);
  const deskPage = await deskContext.newPage();
  await logIn(deskPage, desk, `/dispatch/requests/${number}`);
  await running(deskPage);
  await tabTo(deskPage, '[data-act=confirm_arrival]');
  await deskPage.keyboard.press('Enter');
  await page.getByText('Your technician has arrived').first().waitFor({ timeout: 5000 });
  await deskContext.close();
  await context.close();
});
