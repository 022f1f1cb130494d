// roadcall's service worker: shows a technician's job alerts when the app is closed, and opens the job when
// the alert is tapped. Plain JavaScript on purpose: it must start in milliseconds when a push wakes the phone.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Our alerts come worded in their reader's language; these are only for a push that carries no words.
const russian = (self.navigator.language || '').toLowerCase().startsWith('ru');
const NEW_REQUEST = russian ? 'Новая заявка' : 'New request';
const NEW_ROADSIDE_REQUEST = russian ? 'Новая заявка о помощи на дороге' : 'New roadside request';

self.addEventListener('push', (event) => {
  let data;
  try {
    data = event.data.json();
  } catch {
    data = { title: 'roadcall', body: event.data ? event.data.text() : NEW_REQUEST };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || NEW_ROADSIDE_REQUEST, {
      body: data.body || '',
      tag: data.tag || 'roadcall',
      // A new job must not slip by silently: sound again, and stay until handled.
      renotify: true,
      requireInteraction: true,
      vibrate: [400, 150, 400, 150, 400],
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: data.url || '/tech' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || '/tech', self.location.origin);
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      // The job already open: brought forward and loaded again from the alert's link, which records "seen".
      for (const w of windows) {
        if (new URL(w.url).pathname === url.pathname && 'focus' in w) {
          return w.focus().then((c) => (c && 'navigate' in c ? c.navigate(url.href) : c));
        }
      }
      return self.clients.openWindow(url.href);
    }),
  );
});
