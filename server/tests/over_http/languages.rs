//! The language of a page is chosen by the server before the first byte: the switch's cookie, else the browser's
//! Accept-Language by its q-values, else `--default-locale`; `<html lang>` says which.
use crate::common::{TestApp, spawn_app, spawn_app_with};

/// The home page's `<html lang>` and whether it asks "What happened?" in Russian, for these request headers.
async fn home(app: &TestApp, headers: &[(&str, &str)]) -> (String, bool) {
    let mut request = app.client.get(app.url("/"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let page = request.send().await.unwrap().text().await.unwrap();
    let lang = page.split("<html lang=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default();
    (lang.to_owned(), page.contains("Что случилось?"))
}

#[tokio::test]
async fn the_page_speaks_the_switchs_choice_else_the_browsers_else_the_servers_default() {
    let app = spawn_app().await;
    assert_eq!(home(&app, &[]).await, ("en".into(), false));
    assert_eq!(home(&app, &[("accept-language", "ru-RU,ru;q=0.9,en;q=0.8")]).await, ("ru".into(), true));
    assert_eq!(home(&app, &[("accept-language", "en;q=0.5, ru;q=0.7")]).await.0, "ru", "by q-value");
    assert_eq!(home(&app, &[("accept-language", "de-DE, ru;q=0")]).await.0, "en", "neither: the default");
    let chose_en = [("accept-language", "ru"), ("cookie", "roadcall_lang=en")];
    assert_eq!(home(&app, &chose_en).await, ("en".into(), false));

    // A refused form is drawn again in the same language.
    let refused = app
        .client
        .post(app.url("/request"))
        .header("accept-language", "ru")
        .form(&[("problem", "battery"), ("phone", "12")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("<html lang=\"ru\"") && page.contains("Проверьте, пожалуйста:"), "{page}");

    // An installed app keeps its manifest's name and shortcuts: the page links the one in its language.
    let page = app.client.get(app.url("/")).header("accept-language", "ru").send().await.unwrap();
    assert!(page.text().await.unwrap().contains("<link rel=\"manifest\" href=\"/manifest.ru.webmanifest\">"));

    let russian = spawn_app_with(&["--default-locale", "ru"]).await;
    assert_eq!(home(&russian, &[]).await, ("ru".into(), true));
    assert_eq!(home(&russian, &[("accept-language", "en-GB")]).await.0, "en");
}

#[tokio::test]
async fn the_switch_remembers_the_choice_and_goes_back_to_the_same_page() {
    let app = spawn_app().await;
    let switch = |form: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { app.client.post(app.url("/language")).form(form).send().await.unwrap() }
    };
    let switched = switch(&[("to", "ru"), ("back", "/r/abc?x=1")]).await;
    assert_eq!(switched.status(), 303);
    assert_eq!(switched.headers()["location"], "/r/abc?x=1");
    let cookie = switched.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("roadcall_lang=ru; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap();
    assert_eq!(home(&app, &[("cookie", cookie), ("accept-language", "en")]).await, ("ru".into(), true));

    // Only back to a page of ours.
    for back in ["//evil.example/x", "https://evil.example/", "/\\evil.example"] {
        let form: &'static [(&str, &str)] = Box::leak(Box::new([("to", "en"), ("back", back)]));
        assert_eq!(switch(form).await.headers()["location"], "/", "{back}");
    }
    let refused = switch(&[("to", "xx"), ("back", "/")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn a_russian_customer_follows_every_step_in_russian_without_javascript() {
    let app = spawn_app().await;
    let form = [("problem", "flat_tire"), ("phone", "+7 912 345-67-89"), ("place", "М-11, 120 км")];
    let sent = app.client.post(app.url("/request")).header("accept-language", "ru").form(&form).send().await.unwrap();
    assert_eq!(sent.status(), 303);
    let status_path = sent.headers()["location"].to_str().unwrap().to_owned();
    let page = |language: &'static str| {
        let (app, path) = (&app, &status_path);
        async move {
            let r = app.client.get(app.url(path)).header("accept-language", language).send().await.unwrap();
            r.text().await.unwrap()
        }
    };
    let received = page("ru").await;
    for words in ["Организуем помощь", "Заявка получена. Ищем ближайшего техника.", "Спущено колесо", "Отменить заявку"]
    {
        assert!(received.contains(words), "{words}: {received}");
    }

    let sam = app.staff("sam", "Sam Rivera", app::domain::Role::Technician).await;
    let number = received.split("<p class=\"number\">").nth(1).and_then(|r| r.split('<').next()).unwrap().to_owned();
    assert_eq!(sam.step(&number, &[("action", "accept")]).await.status(), 204);
    assert_eq!(sam.step(&number, &[("action", "on_my_way"), ("eta_minutes", "25")]).await.status(), 204);
    let on_the_way = page("ru").await;
    for words in [
        "Техник едет к вам",
        "Заявка принята. Ваш техник — Sam.",
        "Sam — в пути, примерно через 25 мин.",
        "приедет примерно в",
    ] {
        assert!(on_the_way.contains(words), "{words}: {on_the_way}");
    }
    assert!(!on_the_way.contains("on the way"), "no English left: {on_the_way}");
    let english = page("en").await;
    assert!(english.contains("Sam is on the way, about 25 min."), "{english}");
}

/// Logs in with these request headers: the answer's language cookie, and a client that keeps its cookies.
async fn log_in_from(app: &TestApp, login: &str, headers: &[(&str, &str)]) -> (String, reqwest::Client) {
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client.post(app.url("/login")).form(&[("login", login), ("password", "a long enough password")]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 303);
    let cookies = answer.headers().get_all("set-cookie").iter().map(|c| c.to_str().unwrap().to_owned());
    let language = cookies.filter_map(|c| c.strip_prefix("roadcall_lang=").map(|v| v[..2].to_owned())).next();
    (language.unwrap_or_default(), client)
}

#[tokio::test]
async fn a_member_of_staff_keeps_their_own_language_on_every_phone() {
    let app = spawn_app().await;
    app.add_staff("ira", "Ира Петрова", app::domain::Role::Technician).await;
    // The first login's language becomes theirs; their pages are drawn in it without JavaScript.
    let (language, phone) = log_in_from(&app, "ira", &[("accept-language", "ru-RU,ru;q=0.9")]).await;
    assert_eq!(language, "ru");
    let board = phone.get(app.url("/tech")).send().await.unwrap().text().await.unwrap();
    for words in ["<html lang=\"ru\"", "Вы не на смене", "Выйти на смену", "Никто не ждёт. Хорошо.", "Выйти</button>"]
    {
        assert!(board.contains(words), "{words}: {board}");
    }
    // A second phone set to English still gets hers.
    let (language, _) = log_in_from(&app, "ira", &[("accept-language", "en-GB")]).await;
    assert_eq!(language, "ru");
    // A switch posted from another site changes this browser's cookie, never what she chose.
    let forged = phone.post(app.url("/language")).header("origin", "https://evil.example").form(&[("to", "en")]);
    assert_eq!(forged.send().await.unwrap().status(), 303);
    assert_eq!(log_in_from(&app, "ira", &[]).await.0, "ru");
    // Switching on our own page while logged in changes it for her, not only for this browser.
    let switched =
        phone.post(app.url("/language")).header("origin", &app.base).form(&[("to", "en"), ("back", "/tech")]);
    assert_eq!(switched.send().await.unwrap().status(), 303);
    let (language, _) = log_in_from(&app, "ira", &[("accept-language", "ru")]).await;
    assert_eq!(language, "en");

    // Someone whose browser names no language we speak gets none fixed at login: the server's default stays
    // theirs until they choose.
    app.add_staff("hans", "Hans Berg", app::domain::Role::Technician).await;
    assert_eq!(log_in_from(&app, "hans", &[("accept-language", "de-DE")]).await.0, "");
    assert_eq!(log_in_from(&app, "hans", &[("accept-language", "ru")]).await.0, "ru", "first named, then kept");
    assert_eq!(log_in_from(&app, "hans", &[("accept-language", "en")]).await.0, "ru");
}

#[tokio::test]
async fn a_russian_dispatcher_reads_the_board_and_a_request_in_russian() {
    let app = spawn_app().await;
    app.add_staff("dana", "Дана Орлова", app::domain::Role::Dispatcher).await;
    let form = [("problem", "battery"), ("phone", "+7 912 345-67-89"), ("place", "Тверская, 1")];
    let sent = app.client.post(app.url("/request")).header("accept-language", "ru").form(&form).send().await.unwrap();
    assert_eq!(sent.status(), 303);
    let (_, dana) = log_in_from(&app, "dana", &[("accept-language", "ru")]).await;
    let board = dana.get(app.url("/dispatch")).send().await.unwrap().text().await.unwrap();
    for words in [
        "Открытые заявки",
        "Открыто: 1 · ждут техника: 1 · на смене: 0",
        "Аккумулятор / не заводится",
        "Новая",
        "пока никто",
    ] {
        assert!(board.contains(words), "{words}: {board}");
    }
    let number = board.split("data-number=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let request =
        dana.get(app.url(&format!("/dispatch/requests/{number}"))).send().await.unwrap().text().await.unwrap();
    for words in [
        "Назначить",
        "Отменить заявку",
        "Ссылка на статус: ",
        "Заявка получена. Ищем ближайшего техника.",
        "язык: Русский",
    ] {
        assert!(request.contains(words), "{words}: {request}");
    }
    // An English dispatcher texts this customer the link in the customer's language.
    let dee = app.staff("dee", "Dee Okafor", app::domain::Role::Dispatcher).await;
    let english = dee.client.get(dee.url(&format!("/dispatch/requests/{number}"))).send().await.unwrap();
    let english = english.text().await.unwrap();
    assert!(english.contains("speaks Русский"), "{english}");
    let body = english.split("?body=").nth(1).and_then(|r| r.split('"').next()).unwrap();
    let body: Vec<(String, String)> = serde_urlencoded::from_str(&format!("body={body}")).unwrap();
    assert!(body[0].1.starts_with(&format!("roadcall, заявка {number}. Следите онлайн: ")), "{body:?}");
}

#[tokio::test]
async fn dispatch_sets_a_members_language_and_reports_read_in_russian_with_russian_days() {
    let app = spawn_app_with(&["--time-zone", "Europe/Moscow"]).await;
    let dee = app.staff("dee", "Dee Okafor", app::domain::Role::Dispatcher).await;
    app.add_staff("sam", "Sam Rivera", app::domain::Role::Technician).await;
    let set = |language: &'static str| {
        let dee = &dee;
        async move { dee.post("/dispatch/staff/alerts", &[("login", "sam"), ("phone", ""), ("language", language)]).await }
    };
    assert_eq!(set("ru").await.status(), 204);
    assert_eq!(log_in_from(&app, "sam", &[("accept-language", "en")]).await.0, "ru", "dispatch chose Russian for Sam");
    let refused = set("de").await;
    assert_eq!(refused.status(), 422);
    let message = refused.json::<serde_json::Value>().await.unwrap()["message"].as_str().unwrap().to_owned();
    assert_eq!(message, "Choose a language we speak: en or ru.");
    assert_eq!(set("").await.status(), 204, "blank: left as it is");
    let (_, setup) = dee.get_json("/staff/api/dispatch/setup").await;
    let sam = setup["data"]["staff"].as_array().unwrap().iter().find(|s| s["login"] == "sam").unwrap().clone();
    assert_eq!(sam["locale"], "ru");
    let sam_client = app.log_in("sam", "a long enough password").await.unwrap();
    let by_sam =
        sam_client.post("/dispatch/staff/alerts", &[("login", "sam"), ("phone", ""), ("language", "en")]).await;
    assert_eq!(by_sam.status(), 403, "only dispatch sets others' languages");

    let form = [("problem", "fuel"), ("phone", "+7 912 345-67-89"), ("place", "Тверская, 1")];
    assert_eq!(app.client.post(app.url("/request")).form(&form).send().await.unwrap().status(), 303);
    let (_, dana) = {
        app.add_staff("dana", "Дана Орлова", app::domain::Role::Dispatcher).await;
        log_in_from(&app, "dana", &[("accept-language", "ru")]).await
    };
    let report = dana.get(app.url("/dispatch/reports")).send().await.unwrap().text().await.unwrap();
    let today = report.split("data-key=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let (y, rest) = today.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    let russian_day = format!("{d}.{m}.{y}");
    for words in ["По дням", "1 заявка · принято: 0", "сутки по часовому поясу Europe/Moscow", "Скачать CSV"]
    {
        assert!(report.contains(words), "{words}: {report}");
    }
    assert!(report.contains(&russian_day), "{russian_day}: {report}");

    // The CSV's columns are named in the reader's language, and Excel is told the file is UTF-8.
    let csv = dana.get(app.url("/dispatch/reports.csv")).send().await.unwrap().bytes().await.unwrap();
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert!(csv.starts_with("\u{FEFF}Номер;Создана;Источник;Проблема;Статус;Техник;"), "{csv}");
    assert!(csv.lines().nth(1).is_some_and(|line| line.contains(";web;fuel;received;;")), "{csv}");
    let english = dee.client.get(dee.url("/dispatch/reports.csv")).send().await.unwrap().bytes().await.unwrap();
    assert!(english.starts_with("\u{FEFF}number,created_at,source,".as_bytes()));
}

#[tokio::test]
async fn refusals_are_said_in_the_language_of_whoever_was_refused() {
    let app = spawn_app().await;
    // A customer's plain form, refused: every reason in Russian, on a Russian page.
    let form = [("problem", "battery"), ("phone", "12"), ("name", "a\u{7}b"), ("coords", "91, 200")];
    let refused =
        app.client.post(app.url("/request")).header("accept-language", "ru").form(&form).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    for words in
        ["Это не похоже на номер телефона", "Поле «Имя» содержит символы, которые не являются текстом", "Широта 91"]
    {
        assert!(page.contains(words), "{words}: {page}");
    }
    for english in ["phone number", "not text", "Latitude"] {
        assert!(!page.contains(english), "{english}: {page}");
    }
    // The same refusal sent by the page's script (JSON) reads alike.
    let json =
        app.client.post(app.url("/request")).header("accept-language", "ru").header("accept", "application/json");
    let body: serde_json::Value = json.form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["error"], "validation_failed", "codes stay codes: {body}");
    assert_eq!(body["message"], "Проверьте поля формы.", "{body}");
    let phone = body["fields"].as_array().unwrap().iter().find(|f| f["field"] == "phone").unwrap();
    assert!(phone["message"].as_str().unwrap().starts_with("Это не похоже на номер телефона"), "{body}");
    // A browser always offers compressed answers: a refusal said again in the asker's language is sent as it is,
    // and says so (no Content-Encoding left over from the handler's answer).
    let offered =
        app.client.post(app.url("/request")).header("accept-language", "ru").header("accept", "application/json");
    let offered = offered.header("accept-encoding", "gzip, br").form(&form).send().await.unwrap();
    assert_eq!(offered.status(), 422);
    assert!(offered.headers().get("content-encoding").is_none(), "{:?}", offered.headers());
    assert_eq!(offered.headers()["content-language"], "ru");
    let body: serde_json::Value = offered.json().await.unwrap();
    assert_eq!(body["error"], "validation_failed");
    // A form no page of ours sends is refused in Russian too, without quoting axum's or serde's English.
    let odd = app.client.post(app.url("/request")).header("accept-language", "ru");
    let odd = odd.header("content-type", "text/plain").body("problem=battery").send().await.unwrap();
    assert_eq!(odd.status(), 415);
    let page = odd.text().await.unwrap();
    assert!(page.contains("Не удалось прочитать форму. Вернитесь, проверьте её и отправьте ещё раз."), "{page}");
    assert!(!page.contains("Content-Type"), "{page}");
    // A partner's system that asks in Russian is refused in Russian too; the codes stay codes.
    let keyless = app.client.post(app.url("/api/v1/requests")).header("accept-language", "ru");
    let keyless = keyless.json(&serde_json::json!({ "problem": "battery" })).send().await.unwrap();
    assert_eq!(keyless.status(), 401);
    let body: serde_json::Value = keyless.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(body["message"].as_str().unwrap().starts_with("Передайте ключ партнёра"), "{body}");
    let bad_key = app.api_post().header("accept-language", "ru").header("idempotency-key", "");
    let bad_key = bad_key.json(&serde_json::json!({ "problem": "battery" })).send().await.unwrap();
    let body: serde_json::Value = bad_key.json().await.unwrap();
    assert_eq!(body["error"], "invalid_idempotency_key");
    assert!(body["message"].as_str().unwrap().contains("видимых символов ASCII"), "{body}");
    // A refusal's own page: its language, title and way back.
    let gone = app.client.post(app.url("/r/no-such-link/cancel")).header("accept-language", "ru").send().await.unwrap();
    assert_eq!(gone.status(), 404);
    let page = gone.text().await.unwrap();
    for words in ["<html lang=\"ru\"", "<title>Заявка не найдена</title>", "Проверьте адрес", ">Назад</a>"]
    {
        assert!(page.contains(words), "{words}: {page}");
    }
    // A technician's refused step, in the technician's language.
    let created: serde_json::Value = app.create(crate::common::flat_tire()).await.json().await.unwrap();
    let number = created["number"].as_str().unwrap();
    let ira = app.staff("ira", "Ира Петрова", app::domain::Role::Technician).await;
    let step = |language: &'static str| {
        ira.client
            .post(ira.url(&format!("/tech/jobs/{number}/step")))
            .header("accept", "application/json")
            .header("x-csrf-token", &ira.csrf)
            .header("accept-language", language)
            .form(&[("action", "arrived")])
            .send()
    };
    let body: serde_json::Value = step("ru").await.unwrap().json().await.unwrap();
    assert_eq!(body["message"], "Сначала возьмите заявку.", "{body}");
    let body: serde_json::Value = step("en").await.unwrap().json().await.unwrap();
    assert_eq!(body["message"], "Accept the job first.", "{body}");

    // A partner names the customer's language for their texts, one we write in.
    let mut request = crate::common::flat_tire();
    request["language"] = "de".into();
    let refused = app.create(request.clone()).await;
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "language", "{body}");
    request["language"] = "ru".into();
    let created: serde_json::Value = app.create(request).await.json().await.unwrap();
    let id = app.services.store.request_id_by_number(created["number"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(app.services.store.load(id).await.unwrap().unwrap().locale.as_deref(), Some("ru"));
}

#[test]
fn russian_counts_agree_with_their_number() {
    use app::i18n::td_string;
    let requests = |n: u32| td_string!(app::Locale::ru, requests, count = n).to_string();
    assert_eq!(
        [1, 2, 5, 11, 21, 22, 25, 101, 111].map(requests),
        [
            "1 заявка",
            "2 заявки",
            "5 заявок",
            "11 заявок",
            "21 заявка",
            "22 заявки",
            "25 заявок",
            "101 заявка",
            "111 заявок"
        ]
    );
    assert_eq!(td_string!(app::Locale::en, requests, count = 1u32).to_string(), "1 request");
    assert_eq!(td_string!(app::Locale::en, requests, count = 2u32).to_string(), "2 requests");
}

#[tokio::test]
async fn a_russian_service_starts_with_russian_truck_checklists_and_an_edited_list_is_left_alone() {
    use app::{Locale, domain::ChecklistTemplate, texts::seed};
    // The English lines in the code are the ones migration 0002 wrote.
    let english = spawn_app().await;
    assert_eq!(english.services.store.checklist_templates().await.unwrap(), seed::checklists(Locale::en));

    let russian = spawn_app_with(&["--default-locale", "ru"]).await;
    let dana = russian.staff("dana", "Дана Орлова", app::domain::Role::Dispatcher).await;
    let (_, setup) = dana.get_json("/staff/api/dispatch/setup").await;
    let lines = |problem: &str| -> Vec<String> {
        let list = setup["data"]["checklists"].as_array().unwrap().iter().find(|t| t["problem"] == problem).unwrap();
        list["lines"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(lines("always")[0], "Светоотражающий жилет");
    assert_eq!(lines("lockout")[0], "Внутри ребёнок или животное? Если да — экстренный случай, в первую очередь");

    // Once a list is edited, the lists are the service's own: starting in another language changes nothing.
    let store = &english.services.store;
    let edited = ChecklistTemplate::parse("fuel", "? Petrol or diesel?\nFuel can: petrol\nFunnel").unwrap();
    store.replace_checklist(&edited).await.unwrap();
    let before = store.checklist_templates().await.unwrap();
    let (en, ru) = (seed::checklists(Locale::en), seed::checklists(Locale::ru));
    assert!(!store.translate_untouched_checklists(&en, &ru).await.unwrap());
    assert_eq!(store.checklist_templates().await.unwrap(), before);
}
