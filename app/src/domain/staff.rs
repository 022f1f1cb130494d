//! The people behind the customer's request: technicians in the trucks, dispatchers at the desk, an admin.

use serde::{Deserialize, Serialize};

use super::text::{MAX_SHORT, TextProblem, clean};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Technician,
    Dispatcher,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Technician, Role::Dispatcher, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::Dispatcher => "dispatcher",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Where this role starts after logging in.
    pub fn home(self) -> &'static str {
        match self {
            Role::Technician => crate::paths::TECH,
            Role::Dispatcher | Role::Admin => crate::paths::DISPATCH,
        }
    }

    /// Who watches every request, assigns, confirms arrivals and keeps the roster.
    pub fn dispatches(self) -> bool {
        matches!(self, Role::Dispatcher | Role::Admin)
    }

    /// Who may work jobs in the truck. Dispatchers watch and assign; they do not drive.
    pub fn works_jobs(self) -> bool {
        matches!(self, Role::Technician)
    }
}

/// Who is logged in: what a session remembers and every staff page checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub on_duty: bool,
    /// Their language's tag ("ru"), once chosen; `None`: the server's default.
    #[serde(default)]
    pub locale: Option<String>,
}

/// A new member of staff as typed on the command line, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStaff {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    /// E.164: where texts and calls reach them when push does not.
    pub phone: Option<String>,
    /// Their language's tag ("ru"); `None`: the server's default.
    pub locale: Option<String>,
}

/// Shorter passwords are refused: staff accounts see customers' phone numbers and locations.
pub const MIN_PASSWORD: usize = 10;

/// Why a new member was refused; `texts` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRefusal {
    BadLogin,
    NoName,
    Name(TextProblem),
    /// Shorter than `MIN_PASSWORD`.
    ShortPassword,
    #[cfg(feature = "ssr")]
    Phone(super::PhoneRefusal),
}

impl NewStaff {
    pub fn new(login: &str, name: &str, role: Role, password: &str) -> Result<NewStaff, StaffRefusal> {
        let login = login.trim().to_lowercase();
        if login.is_empty()
            || login.len() > 40
            || !login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
        {
            return Err(StaffRefusal::BadLogin);
        }
        let name = clean(Some(name), MAX_SHORT, false).map_err(StaffRefusal::Name)?.ok_or(StaffRefusal::NoName)?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(StaffRefusal::ShortPassword);
        }
        Ok(NewStaff { login, name, role, password: password.to_owned(), phone: None, locale: None })
    }

    /// With a mobile number for texts and calls, typed with its country code (or read as `region`'s).
    #[cfg(feature = "ssr")]
    pub fn with_phone(self, phone: &str, region: super::Region) -> Result<NewStaff, StaffRefusal> {
        let phone = super::Phone::parse(phone, region).map_err(StaffRefusal::Phone)?;
        Ok(NewStaff { phone: Some(phone.e164().to_owned()), ..self })
    }
}

/// Why a login was refused, as the login page's `?failed=` code. The page shows only these fixed texts, never text
/// from its own URL: a link can not make our page say what someone else wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    /// A wrong login or a wrong password: one answer, so nobody learns which logins exist.
    Wrong,
    Disabled,
    /// Too many failures for the login typed, whether or not it exists.
    Locked,
    /// Too many logins being checked at once.
    Busy,
}

impl LoginRefusal {
    const ALL: [LoginRefusal; 4] =
        [LoginRefusal::Wrong, LoginRefusal::Disabled, LoginRefusal::Locked, LoginRefusal::Busy];

    pub fn code(self) -> &'static str {
        match self {
            LoginRefusal::Wrong => "wrong",
            LoginRefusal::Disabled => "disabled",
            LoginRefusal::Locked => "locked",
            LoginRefusal::Busy => "busy",
        }
    }

    pub fn parse(code: &str) -> Option<LoginRefusal> {
        LoginRefusal::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Where to go after logging in: a path on our own site, exactly as the browser will read it.
///
/// Browsers drop tabs, newlines and carriage returns from a URL and read `\` as `/`, so `/\t/evil.example` and
/// `/\evil.example` both lead to `//evil.example`: another site. Rather than guess every normalisation, a path is
/// refused unless it is already plain: visible ASCII only (no spaces, controls or backslashes, raw or
/// percent-encoded, and no encoded slash or `%` that a second decoding could turn into `//`), starting with one `/`.
/// Our pages' own paths pass; the rare query with an encoded slash falls back to the home page, which is harmless.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    const MAX: usize = 2_000;

    pub fn parse(raw: &str) -> Option<LocalPath> {
        let bytes = raw.as_bytes();
        let plain = bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
        let starts_local = bytes.first() == Some(&b'/') && bytes.get(1) != Some(&b'/');
        let encoded_danger = bytes.windows(3).any(|w| {
            w[0] == b'%'
                && std::str::from_utf8(&w[1..])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .is_some_and(|b| matches!(b, b'/' | b'\\' | b'%') || b.is_ascii_control())
        });
        (plain && starts_local && !encoded_danger && raw.len() <= Self::MAX).then(|| LocalPath(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_on_our_site_are_places_to_go_after_login() {
        let foreign = [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "//evil.example",
            " //evil.example",
            "/%2f%2fevil.example",
            "/%2F/evil.example",
            "/%5cevil.example",
            "/%5C%5Cevil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%252f%252fevil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/tech/\u{e9}",
            "/tech\u{7f}",
            "/ ok",
            "",
        ];
        for raw in foreign {
            assert_eq!(LocalPath::parse(raw), None, "{raw:?}");
        }
        for ours in ["/", "/ok/path?x=1", "/tech/jobs/RC-7K3Q", "/dispatch/reports?from=2025-11-01&to=2025-11-30"] {
            assert_eq!(LocalPath::parse(ours).map(|p| p.as_str().to_owned()), Some(ours.to_owned()));
        }
        assert_eq!(LocalPath::parse(&format!("/{}", "a".repeat(3_000))), None, "absurdly long");
    }

    #[test]
    fn login_refusals_round_trip_and_unknown_codes_say_nothing() {
        for r in LoginRefusal::ALL {
            assert_eq!(LoginRefusal::parse(r.code()), Some(r));
        }
        assert_eq!(LoginRefusal::parse("Your account is frozen. Call +1 900 555 0199"), None);
    }

    #[test]
    fn logins_are_plain_and_lowercase() {
        let s = NewStaff::new(" Ana.Lima ", "Ana Lima", Role::Technician, "correct horse");
        assert_eq!(s.map(|s| (s.login, s.name)), Ok(("ana.lima".into(), "Ana Lima".into())));
        assert!(NewStaff::new("ana lima", "Ana", Role::Technician, "correct horse").is_err());
        assert!(NewStaff::new("", "Ana", Role::Technician, "correct horse").is_err());
        assert!(NewStaff::new("ana", "  ", Role::Technician, "correct horse").is_err());
        assert!(NewStaff::new("ana", "Ana", Role::Technician, "short").is_err());
    }

    #[test]
    fn roles_round_trip_and_only_technicians_work_jobs() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Technician.works_jobs());
        assert!(!Role::Dispatcher.works_jobs());
    }
}
