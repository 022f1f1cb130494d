//! What the domain's values are called, in a given language: the words live in `app/locales/*.json`, not in the
//! domain core. Drawn alike by the server and the wasm (plain keys, no values).

use crate::{Locale, domain::Problem, i18n::td_string};

/// "Flat tire" / "Спущено колесо".
pub fn problem(locale: Locale, problem: Problem) -> &'static str {
    match problem {
        Problem::FlatTire => td_string!(locale, problem.flat_tire),
        Problem::Battery => td_string!(locale, problem.battery),
        Problem::Lockout => td_string!(locale, problem.lockout),
        Problem::Fuel => td_string!(locale, problem.fuel),
        Problem::Tow => td_string!(locale, problem.tow),
        Problem::Other => td_string!(locale, problem.other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_a_name_in_every_language_and_english_matches_the_domains() {
        for p in Problem::ALL {
            assert_eq!(problem(Locale::en, p), p.label(), "{p:?}");
            assert!(!problem(Locale::ru, p).is_ascii(), "{p:?} in Russian");
        }
    }
}
