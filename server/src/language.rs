//! Which language a page is drawn in, chosen before the first byte so the HTML is right without JavaScript: the
//! visitor's own choice (the switch's cookie), else their browser's `Accept-Language`, else `--default-locale`.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};

use app::Locale;

use crate::AppState;
use leptos_i18n::Locale as _;

/// The cookie the language switch sets.
pub const COOKIE: &str = "roadcall_lang";

/// The languages we ship, as tags.
const OURS: [&str; 2] = ["en", "ru"];

/// The switch's cookie: this browser's language from now on, for a year (Secure when we are served over https).
pub fn cookie(locale: Locale, public_url: &str) -> String {
    let secure = if public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}", locale.as_str())
}

/// The page's language for a request with these headers.
pub fn of_request(headers: &HeaderMap, default: Locale) -> Locale {
    named(headers).unwrap_or(default)
}

/// The asker's language, for a handler that words its answer (or what it stores) itself: the one their page is
/// drawn in.
pub struct Asked(pub Locale);

impl FromRequestParts<AppState> for Asked {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Asked, Self::Rejection> {
        Ok(Asked(of_request(&parts.headers, state.services.settings.default_locale)))
    }
}

/// The language this browser names (the switch's cookie, else `Accept-Language`), if it names one we speak.
pub fn named(headers: &HeaderMap) -> Option<Locale> {
    let chosen = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(name, value)| (name == COOKIE).then(|| value.parse::<Locale>().ok()).flatten());
    let accepted = || {
        let header = headers.get_all(header::ACCEPT_LANGUAGE).iter().filter_map(|v| v.to_str().ok());
        negotiate(&header.collect::<Vec<_>>().join(","), &OURS).and_then(|tag| tag.parse::<Locale>().ok())
    };
    chosen.or_else(accepted)
}

/// The best of `supported` for an `Accept-Language` header: by q-value (ties keep the header's order), a region
/// (`ru-RU`) counting for its language, `*` for the first supported; `q=0` rules a language out.
pub fn negotiate<'a>(accept_language: &str, supported: &[&'a str]) -> Option<&'a str> {
    let mut ranges: Vec<(u16, usize, &str)> = Vec::new();
    for (i, part) in accept_language.split(',').enumerate() {
        let mut fields = part.split(';');
        let tag = fields.next().unwrap_or_default().trim();
        if tag.is_empty() {
            continue;
        }
        let q = fields
            .filter_map(|f| f.trim().strip_prefix("q=").or_else(|| f.trim().strip_prefix("Q=")))
            .next()
            .map_or(Some(1000), quality)
            .unwrap_or(0);
        ranges.push((q, i, tag));
    }
    // Highest q first; equal q in the header's order.
    ranges.sort_by_key(|&(q, i, _)| (std::cmp::Reverse(q), i));
    let refused = |lang: &str| ranges.iter().any(|&(q, _, tag)| q == 0 && primary(tag).eq_ignore_ascii_case(lang));
    ranges.iter().filter(|&&(q, _, _)| q > 0).find_map(|&(_, _, tag)| {
        if tag == "*" {
            supported.iter().copied().find(|s| !refused(s))
        } else {
            supported.iter().copied().find(|s| s.eq_ignore_ascii_case(primary(tag)) && !refused(s))
        }
    })
}

/// `q=0.8` as thousandths; `None` for anything that is not a q-value.
fn quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{frac:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// `ru` of `ru-RU`.
fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_first_choice_we_speak_wins() {
        assert_eq!(negotiate("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", &OURS), Some("ru"));
        assert_eq!(negotiate("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4", &OURS), Some("ru"), "German is not ours");
        assert_eq!(negotiate("en;q=0.5, ru;q=0.6", &OURS), Some("ru"), "by q, not by order");
        assert_eq!(negotiate("ru;q=0.5, en;q=0.5", &OURS), Some("ru"), "a tie keeps the header's order");
        assert_eq!(negotiate("RU", &OURS), Some("ru"));
        assert_eq!(negotiate("*", &OURS), Some("en"));
        assert_eq!(negotiate("en;q=0, *", &OURS), Some("ru"), "q=0 rules English out");
        assert_eq!(negotiate("de, fr;q=0.9", &OURS), None);
        assert_eq!(negotiate("", &OURS), None);
        assert_eq!(negotiate("ru;q=2, en;q=0.1", &OURS), Some("en"), "a q above 1 is nonsense: ignored");
        assert_eq!(negotiate(";;,, ,ru;q=0.1234,en-GB;q=0.25", &OURS), Some("en"));
    }

    #[test]
    fn the_switchs_cookie_beats_the_browser_which_beats_the_servers_default() {
        let headers = |pairs: &[(header::HeaderName, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(name.clone(), value.parse().unwrap_or_else(|_| unreachable!()));
            }
            map
        };
        let ru_browser = (header::ACCEPT_LANGUAGE, "ru-RU,ru;q=0.9,en;q=0.5");
        assert_eq!(of_request(&headers(std::slice::from_ref(&ru_browser)), Locale::en), Locale::ru);
        let chose_en = (header::COOKIE, "a=1; roadcall_lang=en");
        assert_eq!(of_request(&headers(&[ru_browser, chose_en]), Locale::ru), Locale::en);
        assert_eq!(of_request(&headers(&[]), Locale::ru), Locale::ru);
        let nonsense = (header::COOKIE, "roadcall_lang=xx");
        assert_eq!(of_request(&headers(&[nonsense, (header::ACCEPT_LANGUAGE, "de")]), Locale::en), Locale::en);
    }
}
