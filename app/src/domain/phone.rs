//! The customer's phone number: the one thing we need to call them back. Validated with libphonenumber's
//! metadata and stored in E.164 so the technician's "tap to call" always dials.

use phonenumber::{Mode, country};

/// The country assumed for numbers typed without an international prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    pub fn parse(code: &str) -> Option<Region> {
        code.trim().to_ascii_uppercase().parse::<country::Id>().ok().map(Region)
    }
}

/// Why a phone number was refused; said in the reader's language by `texts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneRefusal {
    Missing,
    TooLong,
    NotANumber,
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone {
    e164: String,
}

impl Phone {
    pub fn parse(input: &str, region: Region) -> Result<Phone, PhoneRefusal> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneRefusal::Missing);
        }
        if input.chars().count() > 40 {
            return Err(PhoneRefusal::TooLong);
        }
        let number = phonenumber::parse(Some(region.0), input).map_err(|_| PhoneRefusal::NotANumber)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneRefusal::Invalid);
        }
        Ok(Phone { e164: number.format().mode(Mode::E164).to_string() })
    }

    /// Only for values that were validated before they were stored.
    pub fn from_stored(e164: String) -> Phone {
        Phone { e164 }
    }

    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// Whether texts can reach it: a mobile number, or one its country's numbering can not tell from a mobile
    /// (as in North America). A landline, a toll-free or premium number does not get texts.
    pub fn takes_texts(&self) -> bool {
        use phonenumber::Type;
        phonenumber::parse(None, &self.e164).is_ok_and(|n| {
            matches!(
                n.number_type(&phonenumber::metadata::DATABASE),
                Type::Mobile | Type::FixedLineOrMobile | Type::PersonalNumber
            )
        })
    }

    /// "+1 201-555-0123": grouped the way people read it back on the phone.
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.e164)
            .map(|n| n.format().mode(Mode::International).to_string())
            .unwrap_or_else(|_| self.e164.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region::parse(code).unwrap_or_else(|| unreachable!("test region {code}"))
    }

    #[test]
    fn national_numbers_are_normalised_to_e164() {
        assert_eq!(Phone::parse("030 901820", region("DE")).map(|p| p.e164().to_owned()), Ok("+4930901820".into()));
        assert_eq!(
            Phone::parse("(201) 555-0123", region("US")).map(|p| p.e164().to_owned()),
            Ok("+12015550123".into())
        );
    }

    #[test]
    fn international_numbers_ignore_the_default_region() {
        assert_eq!(
            Phone::parse("+44 20 7946 0958", region("US")).map(|p| p.e164().to_owned()),
            Ok("+442079460958".into())
        );
    }

    #[test]
    fn nonsense_and_short_numbers_are_refused() {
        assert!(Phone::parse("", region("US")).is_err());
        assert!(Phone::parse("hello", region("US")).is_err());
        assert!(Phone::parse("123", region("US")).is_err());
        assert!(Phone::parse(&"1".repeat(41), region("US")).is_err());
    }

    #[test]
    fn numbers_read_back_grouped() {
        assert_eq!(Phone::from_stored("+12015550123".into()).international(), "+1 201-555-0123");
        assert!(Phone::from_stored("+12015550123".into()).takes_texts(), "North American numbers may be mobiles");
        assert!(Phone::from_stored("+4915112345678".into()).takes_texts(), "a German mobile");
        assert!(!Phone::from_stored("+4930901820".into()).takes_texts(), "a Berlin landline");
        assert!(!Phone::from_stored("+18005550199".into()).takes_texts(), "toll-free");
    }

    #[test]
    fn regions_are_iso_codes() {
        assert!(Region::parse("de").is_some());
        assert!(Region::parse("XX").is_none());
    }
}
