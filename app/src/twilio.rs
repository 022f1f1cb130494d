//! Texts and calls through a Twilio-compatible HTTP API, the de-facto standard many providers copy; and the
//! check that a webhook really comes from the provider (`X-Twilio-Signature`).

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};

use crate::domain::Trouble;

/// The account texts and calls go through.
#[derive(Clone, Debug)]
pub struct TwilioAccount {
    /// `https://api.twilio.com`, or a compatible provider's.
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The number texts and calls come from (E.164).
    pub from: String,
}

/// What the provider said to one text or call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Taken, under this id (`SM…`, `CA…`).
    Accepted(String),
    /// Refused for good (a bad number, an opted-out recipient, bad credentials): trying again changes nothing.
    /// The provider's error code, if it gave one.
    Refused { status: u16, code: Option<i64>, message: String },
    /// Certainly not taken (no connection, too many requests, the provider unavailable): try again later.
    Retry(Trouble),
    /// Perhaps taken, perhaps not (no answer in time, an error after it was sent): a retry may send it twice.
    Unclear(Trouble),
}

/// The provider's error code for a recipient who replied STOP.
pub const OPTED_OUT: i64 = 21610;

#[derive(Clone)]
pub struct Twilio {
    account: TwilioAccount,
    client: reqwest::Client,
}

impl Twilio {
    pub fn new(account: TwilioAccount) -> Result<Twilio, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Twilio { account, client })
    }

    /// The number texts come from: a reply to it is a reply to us.
    pub fn from(&self) -> &str {
        &self.account.from
    }

    pub fn auth_token(&self) -> &str {
        &self.account.auth_token
    }

    pub async fn send_sms(&self, to: &str, body: &str, status_callback: &str) -> Sent {
        self.create(
            "Messages.json",
            &[("To", to), ("From", &self.account.from), ("Body", body), ("StatusCallback", status_callback)],
        )
        .await
    }

    /// A call that says `twiml`; its receipts (answered, completed, no answer) go to `status_callback`.
    pub async fn place_call(&self, to: &str, twiml: &str, status_callback: &str) -> Sent {
        let form = [
            ("To", to),
            ("From", self.account.from.as_str()),
            ("Twiml", twiml),
            ("StatusCallback", status_callback),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
            ("Timeout", "30"),
        ];
        self.create("Calls.json", &form).await
    }

    async fn create(&self, resource: &str, form: &[(&str, &str)]) -> Sent {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.account.api_base.trim_end_matches('/'),
            self.account.account_sid
        );
        let answer = self
            .client
            .post(url)
            .basic_auth(&self.account.account_sid, Some(&self.account.auth_token))
            .form(form)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Sent::Retry(Trouble::Unreachable { error: e.without_url().to_string() });
            }
            Err(e) => return Sent::Unclear(Trouble::NoAnswer { error: e.without_url().to_string() }),
        };
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let message = body["message"].as_str().unwrap_or_default().to_owned();
        match status.as_u16() {
            200..=299 => match body["sid"].as_str() {
                Some(sid) => Sent::Accepted(sid.to_owned()),
                None => Sent::Unclear(Trouble::NoId { status: status.as_u16() }),
            },
            // Too many at once, or unavailable: not processed, safe to send again.
            429 | 503 => Sent::Retry(Trouble::Answered { status: status.as_u16(), message }),
            500..=599 => Sent::Unclear(Trouble::Answered { status: status.as_u16(), message }),
            _ => Sent::Refused { status: status.as_u16(), code: body["code"].as_i64(), message },
        }
    }
}

/// `X-Twilio-Signature` for a form webhook: base64 HMAC-SHA1, keyed with the auth token, of the URL the
/// provider called followed by each parameter's name and value, sorted by name.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()) else { return String::new() };
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` is the provider's for this webhook. The provider signs the URL sometimes with its
/// port and sometimes without, so both are tried; compared in constant time.
pub fn signature_is_valid(auth_token: &str, url: &str, params: &[(String, String)], signature_header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let given = signature_header.trim().as_bytes();
    url_forms(url).iter().any(|form| signature(auth_token, form, params).as_bytes().ct_eq(given).into())
}

/// The URL as given, without its port, and with the scheme's port added.
fn url_forms(url: &str) -> Vec<String> {
    let mut forms = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else { return forms };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let host = authority.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()));
    match host {
        Some((host, _)) => forms.push(format!("{scheme}://{host}{path}")),
        None => {
            let port = if scheme == "https" { 443 } else { 80 };
            forms.push(format!("{scheme}://{authority}:{port}{path}"));
        }
    }
    forms
}

/// Text for TwiML: `&`, `<`, `>` and quotes escaped.
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// Words a call says, in a language as the provider names it ("ru-RU"), by a voice that speaks it (the
/// provider's default voices speak only a few languages; `None`: its default).
#[derive(Clone, Copy, Debug)]
pub struct Speech<'a> {
    pub words: &'a str,
    pub language: &'a str,
    pub voice: Option<&'a str>,
}

impl Speech<'_> {
    fn twiml(&self) -> String {
        let voice = self.voice.map(|v| format!(" voice=\"{}\"", xml_escape(v))).unwrap_or_default();
        format!("<Say language=\"{}\"{voice}>{}</Say>", xml_escape(self.language), xml_escape(self.words))
    }
}

/// A call that says `speech` (twice) and waits for one key, posted to `action`; `no_key` if none comes.
pub fn gather_twiml(speech: Speech, action: &str, no_key: &str) -> String {
    let said = speech.twiml();
    let no_key = Speech { words: no_key, ..speech }.twiml();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather numDigits=\"1\" action=\"{}\" method=\"POST\" \
         timeout=\"8\">{said}<Pause length=\"1\"/>{said}</Gather>{no_key}</Response>",
        xml_escape(action),
    )
}

/// An answer to a webhook: say `speech` (a call) or text back `message` (an SMS), or nothing.
pub fn reply_twiml(say: Option<Speech>, message: Option<&str>) -> String {
    let say = say.map(|s| s.twiml()).unwrap_or_default();
    let message = message.map(|m| format!("<Message>{}</Message>", xml_escape(m))).unwrap_or_default();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{say}{message}</Response>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Twilio's own test vectors (twilio-python, tests/unit/test_request_validator.py).
    #[test]
    fn signatures_match_the_providers_own_examples() {
        let token = "12345";
        let call = params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature(token, url, &call), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(signature_is_valid(token, url, &call, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(signature_is_valid(
            token,
            "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
            &call,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert_eq!(
            signature(token, "https://mycompany.com:443/myapp.php?foo=1&bar=2", &call),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert!(signature_is_valid(token, url, &call, "kvajT1Ptam85bY51eRf/AJRuM3w="), "with the scheme's port added");
        assert_eq!(
            signature(token, "http://mycompany.com:1234/myapp.php?foo=1&bar=2", &call),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
        let repeated = params(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]);
        assert_eq!(signature(token, url, &repeated), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
        assert!(!signature_is_valid(token, url, &call, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
        assert!(!signature_is_valid("54321", url, &call, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!signature_is_valid(token, url, &call, ""));
    }

    #[test]
    fn twiml_escapes_what_it_says() {
        let speech = Speech { words: "Tom & Jerry <here>", language: "en-US", voice: None };
        let twiml = gather_twiml(speech, "https://x/twilio/calls/1?a=1&b=2", "Bye.");
        assert!(twiml.contains("<Say language=\"en-US\">Tom &amp; Jerry &lt;here&gt;</Say>"), "{twiml}");
        assert!(twiml.ends_with("</Gather><Say language=\"en-US\">Bye.</Say></Response>"), "{twiml}");
        assert!(twiml.contains("action=\"https://x/twilio/calls/1?a=1&amp;b=2\""), "{twiml}");
        assert_eq!(reply_twiml(None, None), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>");
    }
}
