use serde::{Deserialize, Serialize};

/// What happened to the customer. The customer's page offers four choices (one level, PRODUCT rule 6);
/// partners may name fuel and tow directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Problem {
    FlatTire,
    Battery,
    Lockout,
    Fuel,
    Tow,
    Other,
}

impl Problem {
    pub const ALL: [Problem; 6] =
        [Problem::FlatTire, Problem::Battery, Problem::Lockout, Problem::Fuel, Problem::Tow, Problem::Other];

    /// The four large choices on the customer's page, in the order of how often they happen.
    pub const CUSTOMER_CHOICES: [Problem; 4] = [Problem::Battery, Problem::FlatTire, Problem::Lockout, Problem::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Problem::FlatTire => "flat_tire",
            Problem::Battery => "battery",
            Problem::Lockout => "lockout",
            Problem::Fuel => "fuel",
            Problem::Tow => "tow",
            Problem::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What the customer reads.
    pub fn label(self) -> &'static str {
        match self {
            Problem::FlatTire => "Flat tire",
            Problem::Battery => "Battery / won't start",
            Problem::Lockout => "Locked out",
            Problem::Fuel => "Out of fuel",
            Problem::Tow => "Needs a tow",
            Problem::Other => "Something else",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_round_trips_through_its_name() {
        for p in Problem::ALL {
            assert_eq!(Problem::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_string(&p).ok(), Some(format!("\"{}\"", p.as_str())));
        }
    }

    #[test]
    fn unknown_problem_names_are_refused() {
        assert_eq!(Problem::parse("FLAT_TIRE"), None);
        assert_eq!(Problem::parse(""), None);
        assert_eq!(Problem::parse("engine fire"), None);
    }
}
