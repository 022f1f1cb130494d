//! The few browser APIs the pages use, wrapped so components stay readable. Compiled only into the wasm;
//! every call here runs after hydration, inside an Effect.

use wasm_bindgen::{JsCast, closure::Closure};

use crate::{i18n::td_string, page_locale};

/// What the phone's location service told us.
pub enum PositionReport {
    Fix { lat: f64, lon: f64, accuracy_m: f64 },
    Denied,
    Unavailable,
}

/// Watches the position with high accuracy until the returned guard is dropped; readings keep improving
/// while the customer fills in the rest of the form.
pub fn watch_position(on_report: impl Fn(PositionReport) + 'static) -> Option<WatchGuard> {
    let geo = web_sys::window()?.navigator().geolocation().ok()?;
    let on_report = std::rc::Rc::new(on_report);
    let report = on_report.clone();
    let success = Closure::<dyn Fn(web_sys::Position)>::new(move |p: web_sys::Position| {
        let c = p.coords();
        report(PositionReport::Fix { lat: c.latitude(), lon: c.longitude(), accuracy_m: c.accuracy() });
    });
    let failure = Closure::<dyn Fn(web_sys::PositionError)>::new(move |e: web_sys::PositionError| {
        // 1 = PERMISSION_DENIED; 2 and 3 are "no fix yet" (no signal, timed out).
        on_report(if e.code() == 1 { PositionReport::Denied } else { PositionReport::Unavailable });
    });
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_maximum_age(0);
    options.set_timeout(20_000);
    let id = geo
        .watch_position_with_error_callback_and_options(
            success.as_ref().unchecked_ref(),
            Some(failure.as_ref().unchecked_ref()),
            &options,
        )
        .ok()?;
    Some(WatchGuard { geo, id, _success: success, _failure: failure })
}

pub struct WatchGuard {
    geo: web_sys::Geolocation,
    id: i32,
    // Kept alive for as long as the browser may call them.
    _success: Closure<dyn Fn(web_sys::Position)>,
    _failure: Closure<dyn Fn(web_sys::PositionError)>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.geo.clear_watch(self.id);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Remembered on this device only (PRODUCT rule 2: the customer never types it twice).
pub fn remember(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&format!("roadcall.{key}"), value);
    }
}

pub fn recall(key: &str) -> Option<String> {
    storage()?.get_item(&format!("roadcall.{key}")).ok()?.filter(|v| !v.is_empty())
}

/// The truck's last fix, kept for this tab only while it is fresh: each page is loaded anew, and a technician
/// moving from the board to a job should see distances at once, not after the next fix.
const FIX_FRESH_MS: f64 = 120_000.0;

pub fn keep_fix(lat: f64, lon: f64) {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.set_item("roadcall.fix", &format!("{lat},{lon},{}", js_sys::Date::now()));
    }
}

pub fn last_fix() -> Option<(f64, f64)> {
    let kept = web_sys::window()?.session_storage().ok()??.get_item("roadcall.fix").ok()??;
    let mut parts = kept.split(',').map(str::parse::<f64>);
    let (lat, lon, at) = (parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?);
    (js_sys::Date::now() - at < FIX_FRESH_MS).then_some((lat, lon))
}

/// What the customer typed in the input or textarea named `name`.
pub fn form_value(form: &web_sys::HtmlFormElement, name: &str) -> Option<String> {
    let el = form.query_selector(&format!("[name='{name}']")).ok()??;
    if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        return Some(input.value());
    }
    el.dyn_ref::<web_sys::HtmlTextAreaElement>().map(|t| t.value())
}

/// The value of the checked radio button named `name`.
pub fn checked_value(form: &web_sys::HtmlFormElement, name: &str) -> Option<String> {
    let el = form.query_selector(&format!("[name='{name}']:checked")).ok()??;
    el.dyn_ref::<web_sys::HtmlInputElement>().map(|i| i.value())
}

/// The input named `name` inside the form, if there is one.
pub fn form_input(form: &web_sys::HtmlFormElement, name: &str) -> Option<web_sys::HtmlInputElement> {
    form.query_selector(&format!("[name='{name}']")).ok()??.dyn_into().ok()
}

/// The first wait before opening a refused feed again; it doubles with each refusal, up to the longest.
const REOPEN_FIRST_MS: f64 = 1_000.0;
const REOPEN_LONGEST_MS: f64 = 60_000.0;

/// Opens a server-sent event stream and hands each message's data to `on_message` until the guard drops.
///
/// The browser reconnects by itself when a feed ends or its connection drops. A refusal (too many feeds open,
/// the server busy or restarting, a proxy's 502) closes an EventSource for good, so we open it again, waiting
/// longer after each refusal, a little at random so pages refused together do not all come back together. The
/// first message of every feed is the whole view, so nothing is missed meanwhile.
pub fn listen(url: &str, on_message: impl Fn(String) + 'static) -> Option<EventStream> {
    let feed = std::rc::Rc::new_cyclic(|me: &std::rc::Weak<Feed>| {
        let (opened, failed) = (me.clone(), me.clone());
        Feed {
            url: url.to_owned(),
            on_message: Closure::new(move |e: web_sys::MessageEvent| {
                if let Some(data) = e.data().as_string() {
                    on_message(data);
                }
            }),
            on_open: Closure::new(move || {
                if let Some(feed) = opened.upgrade() {
                    feed.refusals.set(0);
                    announce_feed("open");
                }
            }),
            on_error: Closure::new(move || {
                if let Some(feed) = failed.upgrade() {
                    Feed::refused(&feed);
                }
            }),
            source: Default::default(),
            refusals: Default::default(),
            reopen: Default::default(),
        }
    });
    feed.open().then_some(EventStream(feed))
}

/// Keeps a feed open until dropped.
pub struct EventStream(std::rc::Rc<Feed>);

struct Feed {
    url: String,
    on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
    on_open: Closure<dyn Fn()>,
    on_error: Closure<dyn Fn()>,
    source: std::cell::RefCell<Option<web_sys::EventSource>>,
    refusals: std::cell::Cell<i32>,
    /// The timer that will open the feed again.
    reopen: std::cell::Cell<Option<i32>>,
}

impl Feed {
    fn open(&self) -> bool {
        let Ok(source) = web_sys::EventSource::new(&self.url) else { return false };
        source.set_onmessage(Some(self.on_message.as_ref().unchecked_ref()));
        source.set_onopen(Some(self.on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(self.on_error.as_ref().unchecked_ref()));
        if let Some(old) = self.source.replace(Some(source)) {
            old.close();
        }
        true
    }

    /// An error the browser is not retrying itself (the EventSource is closed): open the feed again later.
    fn refused(feed: &std::rc::Rc<Feed>) {
        let closed = feed.source.borrow().as_ref().is_some_and(|s| s.ready_state() == web_sys::EventSource::CLOSED);
        if !closed {
            announce_feed("reconnecting");
            return;
        }
        announce_feed("waiting");
        if feed.reopen.get().is_some() {
            return;
        }
        let refusals = feed.refusals.get();
        feed.refusals.set(refusals.saturating_add(1));
        let longest = (REOPEN_FIRST_MS * 2f64.powi(refusals.min(10))).min(REOPEN_LONGEST_MS);
        let wait = longest * (0.5 + js_sys::Math::random() * 0.5);
        let me = std::rc::Rc::downgrade(feed);
        let again = Closure::once_into_js(move || {
            if let Some(feed) = me.upgrade() {
                feed.reopen.set(None);
                feed.open();
            }
        });
        let timer = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), wait as i32).ok()
        });
        feed.reopen.set(timer);
    }
}

/// Says on the page's root what its live feed is doing (`data-feed`: open, reconnecting, waiting) and how many
/// times it has opened (`data-feed-opens`), for styles and for tests to wait on.
fn announce_feed(state: &str) {
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else { return };
    let _ = root.set_attribute("data-feed", state);
    if state == "open" {
        let opens = root.get_attribute("data-feed-opens").and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
        let _ = root.set_attribute("data-feed-opens", &(opens + 1).to_string());
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if let Some(source) = self.0.source.take() {
            source.close();
        }
        if let (Some(timer), Some(window)) = (self.0.reopen.take(), web_sys::window()) {
            window.clear_timeout_with_handle(timer);
        }
    }
}

/// A fresh idempotency key when the form is drawn in the browser rather than by the server.
pub fn fresh_key() -> String {
    format!(
        "{:016x}{:016x}",
        (js_sys::Math::random() * 2f64.powi(53)) as u64,
        (js_sys::Math::random() * 2f64.powi(53)) as u64
    )
}

/// False when the phone knows it has no connection (a "true" can still be a dead link).
pub fn online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Submits the form again, once, when the phone's connection comes back.
pub fn submit_when_online(form: web_sys::HtmlFormElement) {
    let Some(window) = web_sys::window() else { return };
    let retry = Closure::once_into_js(move || {
        let _ = form.request_submit();
    });
    let options = web_sys::AddEventListenerOptions::new();
    options.set_once(true);
    let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
        "online",
        retry.unchecked_ref(),
        &options,
    );
}

/// An `sms:` link to the number behind "Call us", with the request written out: text messages often get
/// through where data does not.
pub fn sms_href(body: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let tel = document.query_selector("a.call").ok()??.get_attribute("href")?;
    let number = tel.strip_prefix("tel:")?;
    Some(format!("sms:{number}?body={}", String::from(js_sys::encode_uri_component(body))))
}

/// The content of `<meta name="{name}">`, written by the server into every page.
pub fn meta_content(name: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let meta = document.query_selector(&format!("meta[name='{name}']")).ok()??;
    meta.dyn_ref::<web_sys::HtmlMetaElement>().map(|m| m.content())
}

/// GETs JSON: `Ok(None)` for 404, the body's message for other failures.
pub async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<Option<T>, String> {
    let url = url.to_owned();
    // Browser futures are not Send; this one never leaves the browser's single thread.
    send_wrapper::SendWrapper::new(async move {
        use wasm_bindgen_futures::JsFuture;
        let offline = || td_string!(page_locale(), browser.offline_status).to_owned();
        let window = web_sys::window().ok_or_else(offline)?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
            .await
            .map_err(|_| offline())?
            .dyn_into()
            .map_err(|_| offline())?;
        if response.status() == 404 {
            return Ok(None);
        }
        if response.status() == 401 {
            // The staff session ended: log in again and come back.
            let here = window.location().pathname().unwrap_or_default();
            let _ = window.location().set_href(&format!("{}?next={here}", crate::paths::LOGIN));
            return Err(td_string!(page_locale(), browser.log_in_again).to_owned());
        }
        let text = JsFuture::from(response.text().map_err(|_| offline())?).await.map_err(|_| offline())?;
        let text = text.as_string().unwrap_or_default();
        if !response.ok() {
            let status = response.status();
            return Err(td_string!(page_locale(), browser.server_answered, status).to_string());
        }
        serde_json::from_str(&text).map(Some).map_err(|e| e.to_string())
    })
    .await
}

/// Posts a form in place (the page stays; the live feed redraws it) with the session's CSRF token.
/// `Err` carries the server's message for the person holding the phone.
pub async fn post_form(form: web_sys::HtmlFormElement) -> Result<(), String> {
    send_wrapper::SendWrapper::new(async move {
        use wasm_bindgen_futures::JsFuture;
        let offline = || td_string!(page_locale(), browser.offline_not_saved).to_owned();
        let window = web_sys::window().ok_or_else(offline)?;
        let data = web_sys::FormData::new_with_form(&form).map_err(|_| offline())?;
        let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).map_err(|_| offline())?;
        let csrf = data.get("csrf").as_string().unwrap_or_default();
        let headers = web_sys::Headers::new().map_err(|_| offline())?;
        let _ = headers.set("content-type", "application/x-www-form-urlencoded");
        let _ = headers.set("accept", "application/json");
        let _ = headers.set("x-csrf-token", &csrf);
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&String::from(body.to_string()).into());
        // Not `form.action()`: an input named "action" shadows that property (DOM clobbering), and the
        // binding would read an element as a string.
        let url = form.get_attribute("action").ok_or_else(offline)?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(|_| offline())?
            .dyn_into()
            .map_err(|_| offline())?;
        if response.ok() { Ok(()) } else { Err(refusal(response).await) }
    })
    .await
}

/// What a refused post says: the server's own message (in the page's language), or its status.
async fn refusal(response: web_sys::Response) -> String {
    let text = match response.text() {
        Ok(text) => wasm_bindgen_futures::JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let message = serde_json::from_str::<serde_json::Value>(&text.unwrap_or_default())
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned));
    let status = response.status();
    message.unwrap_or_else(|| td_string!(page_locale(), browser.not_saved_status, status).to_string())
}

/// A short loud beep and a buzz: a new job has come in. Browsers only let a page make sound after a tap on
/// it; the "On duty" switch is that tap. Called right after the job is put on the board: it rings once the board
/// is drawn (a task later, after the redraw's own), so the job is on screen when the phone rings.
pub fn alert_new_job() {
    later(|| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().vibrate_with_pattern(&js_sys::Array::of3(&400.into(), &150.into(), &400.into()));
        }
        beep(&[(0.0, 880.0, 0.22), (0.3, 660.0, 0.22), (0.6, 880.0, 0.22)], 0.4);
    });
}

/// The dispatch alarm: a low-high siren, louder and longer than a job beep. Called again every few seconds
/// while an alarm is up.
pub fn sound_alarm() {
    beep(&[(0.0, 520.0, 0.3), (0.35, 980.0, 0.3), (0.7, 520.0, 0.3), (1.05, 980.0, 0.3)], 0.6);
}

/// Tones as (start, frequency, length) in seconds and Hz, on the page's one audio context. A page open all
/// shift rings hundreds of times; a context each time would hold an audio thread each, never let go.
fn beep(tones: &[(f64, f32, f64)], volume: f32) {
    thread_local! {
        static AUDIO: std::cell::RefCell<Option<web_sys::AudioContext>> = const { std::cell::RefCell::new(None) };
    }
    let audio = AUDIO.with_borrow_mut(|audio| {
        if audio.as_ref().is_none_or(|a| a.state() == web_sys::AudioContextState::Closed) {
            *audio = web_sys::AudioContext::new().ok();
        }
        audio.clone()
    });
    let Some(audio) = audio else { return };
    // Suspended when it was made before the page was tapped, or by the browser in the background.
    if audio.state() == web_sys::AudioContextState::Suspended {
        let _ = audio.resume();
    }
    for &(start, freq, length) in tones {
        let (Ok(osc), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else { return };
        osc.frequency().set_value(freq);
        gain.gain().set_value(volume);
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&audio.destination());
        let t = audio.current_time() + start;
        let _ = osc.start_with_when(t);
        let _ = osc.stop_with_when(t + length);
    }
}

/// Runs `f` in a task of its own, after the redraws already queued (which run as microtasks).
fn later(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let f = Closure::once_into_js(f);
    let _ = window.set_timeout_with_callback(f.unchecked_ref());
}

/// Marks the page's own view as running the wasm (`<html data-hydrated>`): tests, and anyone debugging, can tell
/// a live page from plain HTML. A staff page's island arrives in its own chunk after the wasm has started, so the
/// mark is set by each island (`ui::Live`), or at start on a page that has none.
pub fn mark_live() {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-hydrated", "");
    }
}

/// Registers the service worker that shows job alerts with the app closed. Harmless where unsupported.
pub fn register_service_worker() {
    if let Some(window) = web_sys::window()
        && js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false)
    {
        let _ = window.navigator().service_worker().register("/sw.js");
    }
}

/// Where this phone stands with job alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertSetting {
    Unsupported,
    /// The person said no; only the browser's site settings can undo it.
    Blocked,
    Off,
    On,
}

fn push_supported(window: &web_sys::Window) -> bool {
    js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false)
        && js_sys::Reflect::has(window, &"PushManager".into()).unwrap_or(false)
        && js_sys::Reflect::has(window, &"Notification".into()).unwrap_or(false)
}

async fn push_manager(window: &web_sys::Window) -> Option<web_sys::PushManager> {
    let ready = window.navigator().service_worker().ready().ok()?;
    let registration: web_sys::ServiceWorkerRegistration =
        wasm_bindgen_futures::JsFuture::from(ready).await.ok()?.dyn_into().ok()?;
    registration.push_manager().ok()
}

pub async fn alert_setting() -> AlertSetting {
    let Some(window) = web_sys::window().filter(push_supported) else { return AlertSetting::Unsupported };
    if web_sys::Notification::permission() == web_sys::NotificationPermission::Denied {
        return AlertSetting::Blocked;
    }
    let Some(manager) = push_manager(&window).await else { return AlertSetting::Unsupported };
    let existing = match manager.get_subscription() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok(),
        Err(_) => None,
    };
    let granted = web_sys::Notification::permission() == web_sys::NotificationPermission::Granted;
    if granted && existing.is_some_and(|s| !s.is_null() && !s.is_undefined()) {
        AlertSetting::On
    } else {
        AlertSetting::Off
    }
}

/// Asks for permission (this must run inside a tap), subscribes with our key and hands the subscription to the
/// server, tied to this device so a renewal replaces it.
pub async fn enable_alerts(csrf: String) -> Result<(), String> {
    send_wrapper::SendWrapper::new(async move {
        use wasm_bindgen_futures::JsFuture;
        let l = page_locale();
        let window = web_sys::window().filter(push_supported).ok_or(td_string!(l, browser.alerts_unsupported))?;
        let asked =
            web_sys::Notification::request_permission().map_err(|_| td_string!(l, browser.no_permission_ask))?;
        let answer = JsFuture::from(asked).await.ok().and_then(|v| v.as_string()).unwrap_or_default();
        if answer != "granted" {
            return Err(td_string!(l, browser.alerts_blocked).to_owned());
        }
        let key: serde_json::Value =
            get_json(crate::paths::STAFF_PUSH).await?.ok_or(td_string!(l, browser.no_push_key))?;
        let key = base64url_bytes(key["public_key"].as_str().unwrap_or_default());
        let manager = push_manager(&window).await.ok_or(td_string!(l, browser.no_worker))?;
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"userVisibleOnly".into(), &true.into());
        let _ =
            js_sys::Reflect::set(&options, &"applicationServerKey".into(), &js_sys::Uint8Array::from(key.as_slice()));
        let subscribing = manager
            .subscribe_with_options(options.unchecked_ref())
            .map_err(|_| td_string!(l, browser.subscribing_failed))?;
        let subscription = JsFuture::from(subscribing).await.map_err(|_| td_string!(l, browser.push_no_answer))?;
        let json = js_sys::JSON::stringify(&subscription).ok().and_then(|s| s.as_string()).unwrap_or_default();
        let mut body: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        let device = recall("device").unwrap_or_else(|| {
            let id = fresh_key();
            remember("device", &id);
            id
        });
        body["device_id"] = device.into();
        post_json(crate::paths::PUSH_SUBSCRIBE, &body.to_string(), &csrf).await
    })
    .await
}

async fn post_json(url: &str, body: &str, csrf: &str) -> Result<(), String> {
    use wasm_bindgen_futures::JsFuture;
    let failed = || td_string!(page_locale(), browser.offline_short).to_owned();
    let window = web_sys::window().ok_or_else(failed)?;
    let headers = web_sys::Headers::new().map_err(|_| failed())?;
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("accept", "application/json");
    let _ = headers.set("x-csrf-token", csrf);
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&body.into());
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| failed())?
        .dyn_into()
        .map_err(|_| failed())?;
    if response.ok() { Ok(()) } else { Err(refusal(response).await) }
}

fn base64url_bytes(text: &str) -> Vec<u8> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let padded = format!("{standard}{}", "=".repeat((4 - standard.len() % 4) % 4));
    web_sys::window()
        .and_then(|w| w.atob(&padded).ok())
        .map(|binary| binary.chars().map(|c| c as u8).collect())
        .unwrap_or_default()
}
