//! The people behind the customer's request: technicians in the trucks, dispatchers at the desk, an admin.

use serde::{Deserialize, Serialize};

use super::text::{MAX_SHORT, clean};

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
            Role::Technician => "/tech",
            Role::Dispatcher | Role::Admin => "/dispatch",
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
}

/// A new member of staff as typed on the command line, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStaff {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// Shorter passwords are refused: staff accounts see customers' phone numbers and locations.
pub const MIN_PASSWORD: usize = 10;

impl NewStaff {
    pub fn new(login: &str, name: &str, role: Role, password: &str) -> Result<NewStaff, String> {
        let login = login.trim().to_lowercase();
        if login.is_empty()
            || login.len() > 40
            || !login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
        {
            return Err("A login is 1 to 40 letters, digits, dots, dashes, underscores or @.".into());
        }
        let name = clean(Some(name), MAX_SHORT, false)
            .map_err(|p| p.message("The name"))?
            .ok_or_else(|| "A name is needed: customers see the first name of who is coming.".to_owned())?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(format!("A password needs at least {MIN_PASSWORD} characters."));
        }
        Ok(NewStaff { login, name, role, password: password.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
