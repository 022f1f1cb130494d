// Russian at 390×844. The customer's page: chosen by the phone's language with JavaScript off, and by the switch
// with JavaScript on; the wasm takes over the Russian page without redrawing it. A Russian technician's login,
// board and job screen, and the customer following the job live in Russian. A dispatcher's report in Moscow days;
// a status island drawn by the wasm word for word as the server wrote it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addStaff, apiRequest, logIn, phone, running, setUp } from './harness.mjs';

const env = setUp({ args: ['--default-region', 'RU', '--time-zone', 'Europe/Moscow'] });

test('a Russian phone without JavaScript gets the form in Russian and sends it', async () => {
  const context = await phone(env.browser, env.server.base, { javaScriptEnabled: false, locale: 'ru-RU' });
  const page = await context.newPage();
  await page.goto('/');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await page.getByRole('heading', { name: 'Что случилось?' }).waitFor();
  assert.equal(await page.title(), 'roadcall · помощь на дороге');
  await page.locator('label.tile', { hasText: 'Спущено колесо' }).tap();
  await page.fill('input[name=phone]', '8 (912) 345-67-89');
  await page.fill('textarea[name=place]', 'М-11, 120 км, в сторону Твери');
  await page.getByRole('button', { name: 'Отправить заявку' }).tap();
  await page.waitForURL(/\/r\/[a-z2-7]{32}$/);
  await page.getByRole('heading', { name: 'Организуем помощь' }).waitFor();
  assert.equal(await page.locator('.timeline li span').innerText(), 'Заявка получена. Ищем ближайшего техника.');
  await context.close();
});

test('the switch turns an English page Russian, the wasm keeps it so, and the choice is remembered', async () => {
  const context = await phone(env.browser, env.server.base);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  await page.goto('/');
  await running(page);
  await page.getByRole('button', { name: 'Русский' }).tap();
  await page.waitForFunction(() => document.documentElement.lang === 'ru');
  await running(page);
  await page.getByRole('heading', { name: 'Что случилось?' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'English' }).getAttribute('lang'), 'en');
  assert.equal(await page.locator('.send').innerText(), 'Отправить заявку');
  await page.goto('/');
  await running(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru', 'remembered');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a Russian technician logs in, takes a job and sets off, all in Russian; the customer follows it live', async () => {
  const ira = addStaff(env.server, 'ira', 'Ира Петрова', 'technician');
  const errors = [];
  const watch = (page, who) => {
    page.on('pageerror', (e) => errors.push(`${who}: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${who}: ${m.text()}`); });
  };
  const techContext = await phone(env.browser, env.server.base, { locale: 'ru-RU' });
  const tech = await techContext.newPage();
  watch(tech, 'tech');
  await tech.goto('/tech');
  await tech.waitForURL(/\/login\?next=/);
  await tech.getByRole('heading', { name: 'Вход для сотрудников' }).waitFor();
  await tech.getByLabel('Логин').fill(ira.login);
  await tech.getByLabel('Пароль').fill(ira.password);
  await tech.getByRole('button', { name: 'Войти' }).tap();
  await tech.waitForURL((url) => url.pathname === '/tech');
  await tech.locator('[data-alerts]:not([data-alerts=unknown])').waitFor(); // the wasm has run
  await tech.getByRole('heading', { name: 'Вы не на смене' }).waitFor();
  await tech.getByRole('button', { name: 'Выйти на смену' }).tap();
  await tech.getByRole('heading', { name: 'Вы на смене' }).waitFor();

  const created = await apiRequest(env.server.base, { phone: '+7 912 345-67-89', place: 'М-11, 120 км' });
  const card = tech.locator(`li[data-number="${created.number}"]`);
  await card.waitFor();
  assert.match(await card.innerText(), /Спущено колесо[\s\S]*Новая[\s\S]*М-11, 120 км[\s\S]*ждёт/);
  await card.locator('a').tap();
  await tech.waitForURL(`**/tech/jobs/${created.number}`);
  await tech.getByRole('button', { name: 'Взять заявку' }).tap();
  await tech.locator('.job-status', { hasText: 'Принята' }).waitFor();
  await tech.getByRole('button', { name: 'Выезжаю' }).tap();
  await tech.locator('.job-status', { hasText: 'В пути' }).waitFor();
  await tech.getByText('Ира Петрова — в пути, примерно через 30 мин.').waitFor();
  await tech.getByRole('heading', { name: 'Сначала спросите, потом грузите машину' }).waitFor();

  const customerContext = await phone(env.browser, env.server.base, { locale: 'ru-RU' });
  const customer = await customerContext.newPage();
  watch(customer, 'customer');
  await customer.goto(`/r/${created.token}`);
  await running(customer);
  await customer.getByRole('heading', { name: 'Техник едет к вам' }).waitFor();
  await customer.getByText('Ира — в пути, примерно через 30 мин.').waitFor();
  await tech.getByRole('button', { name: 'На месте' }).tap();
  await customer.getByRole('heading', { name: 'Техник на месте' }).waitFor(); // live, no reload
  assert.deepEqual(errors, []);
  await techContext.close();
  await customerContext.close();
});

test('a Russian dispatcher reads the report in Moscow days, and the status island says word for word what the server wrote', async () => {
  const dana = addStaff(env.server, 'dana', 'Дана Орлова', 'dispatcher', undefined, ['--language', 'ru']);
  const { token } = await apiRequest(env.server.base, { phone: '+7 912 345-67-89', place: 'Тверская, 1', language: 'ru' });
  // Today in Moscow, whatever the day is in UTC just now: the report's days are the service's.
  const now = new Date();
  const iso = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(now);
  const russianDay = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', day: '2-digit', month: '2-digit', year: 'numeric' }).format(now);
  const report = async (javaScriptEnabled) => {
    const context = await phone(env.browser, env.server.base, { javaScriptEnabled, locale: 'ru-RU' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
    await logIn(page, dana, '/dispatch/reports');
    if (javaScriptEnabled) await running(page);
    await page.getByText('сутки по часовому поясу Europe/Moscow').first().waitFor();
    const today = page.locator(`tr[data-key="${iso}"]`).first();
    assert.match(await today.innerText(), new RegExp(`${russianDay.replaceAll('.', '\\.')}[\\s\\S]*\\d+`));
    // An island draws its part again in the browser: the status card, in Russian words and Moscow times, must say
    // exactly what the server wrote.
    await page.goto(`/r/${token}`);
    if (javaScriptEnabled) await running(page);
    const text = await page.locator('main').innerText();
    assert.deepEqual(errors, []);
    await context.close();
    return text;
  };
  const written = await report(false);
  const drawn = await report(true);
  assert.equal(drawn, written, 'the hydrated page says exactly what the server wrote');
});

/// A 390 px phone zoomed to 200% lays pages out 195 CSS px wide; zoom does not widen the page as a phone's
/// viewport would, so nothing may stick out sideways.
const zoomed = (locale) => env.browser.newContext({
  baseURL: env.server.base, locale, viewport: { width: 195, height: 422 }, deviceScaleFactor: 4, hasTouch: true,
});

/// Opens `path` and checks that nothing on it reaches past the screen's right edge, except inside a region that
/// scrolls sideways by itself (a report's table: WCAG's reflow exempts two-dimensional tables).
async function fits(page, path, what) {
  await page.goto(path);
  await running(page);
  const wider = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((e) => {
      for (let a = e.parentElement; a; a = a.parentElement) {
        if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return false;
      }
      return true;
    })
    .map((e) => `${e.tagName.toLowerCase()}.${e.getAttribute('class') ?? ''}`));
  assert.deepEqual(wider, [], `${what} ${path}`);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 195, `${what} ${path}`);
}

test('at 200% zoom the customer’s pages and the login still fit the phone’s width, in both languages', async () => {
  const { token } = await apiRequest(env.server.base, { phone: '+7 912 345-67-89', place: 'Трасса М-4 «Дон», 712-й километр' });
  for (const locale of ['en-US', 'ru-RU']) {
    const context = await zoomed(locale);
    const page = await context.newPage();
    for (const path of ['/', `/r/${token}`, '/login']) await fits(page, path, locale);
    await context.close();
  }
});

test('at 200% zoom every staff page still fits the phone’s width, in both languages', async () => {
  const { number } = await apiRequest(env.server.base, {
    phone: '+7 912 345-67-89', place: 'Трасса М-4 «Дон», 712-й километр', name: 'Константин Константинопольский',
  });
  for (const language of ['en', 'ru']) {
    const tech = addStaff(env.server, `zoom-tech-${language}`, 'Александра Веселовская', 'technician', undefined, ['--language', language]);
    const desk = addStaff(env.server, `zoom-desk-${language}`, 'Ксения Преображенская', 'dispatcher', undefined, ['--language', language]);
    for (const [who, pages] of [
      [tech, ['/tech', `/tech/jobs/${number}`]],
      [desk, ['/dispatch', `/dispatch/requests/${number}`, '/dispatch/new', '/dispatch/reports', '/dispatch/setup']],
    ]) {
      const context = await zoomed(language === 'ru' ? 'ru-RU' : 'en-US');
      const page = await context.newPage();
      await logIn(page, who, pages[0]);
      for (const path of pages) await fits(page, path, `${language} ${who.login}`);
      await context.close();
    }
  }
});
