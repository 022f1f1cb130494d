//! A help request as it arrives (from the customer's form, the partner API or a dispatcher) and the checks that
//! turn it into one we can act on. Every refusal names the field and says what to do.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::{
    Phone, PhoneRefusal, Problem, Region,
    text::{self, MAX_NOTES, MAX_PLACE, MAX_SHORT, TextProblem},
};

/// One problem with one field, in words for the person who typed it: a `FieldRefusal` said in their language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Why one field was refused. The field's name says what it is (`name`, `vehicle.plate`); `texts` says the rest.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRefusal {
    pub field: &'static str,
    pub reason: FieldReason,
}

#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
pub enum FieldReason {
    Text(TextProblem),
    NoProblem,
    UnknownProblem,
    Phone(PhoneRefusal),
    Coordinates(CoordinatesRefusal),
    /// Neither a fix nor a description: nobody could find the car.
    NoPlace,
    /// A language we do not write texts in.
    UnknownLanguage,
}

#[cfg(feature = "ssr")]
impl FieldRefusal {
    pub fn new(field: &'static str, reason: FieldReason) -> FieldRefusal {
        FieldRefusal { field, reason }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationDraft {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

impl LocationDraft {
    /// From form fields as text: the fix the browser found, or coordinates the customer typed
    /// ("52.52, 13.405"). Text that is not two numbers becomes NaN, which validation refuses with a reason.
    pub fn from_text(lat: &str, lon: &str, accuracy_m: &str, typed: &str) -> Option<LocationDraft> {
        let number = |s: &str| s.trim().parse::<f64>().unwrap_or(f64::NAN);
        if !lat.trim().is_empty() || !lon.trim().is_empty() {
            let accuracy_m = Some(accuracy_m.trim()).filter(|a| !a.is_empty()).map(number);
            return Some(LocationDraft { lat: number(lat), lon: number(lon), accuracy_m });
        }
        if typed.trim().is_empty() {
            return None;
        }
        let parts: Vec<&str> =
            typed.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|s| !s.is_empty()).collect();
        Some(match parts.as_slice() {
            [lat, lon] => LocationDraft { lat: number(lat), lon: number(lon), accuracy_m: None },
            _ => LocationDraft { lat: f64::NAN, lon: f64::NAN, accuracy_m: None },
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vehicle {
    #[serde(default)]
    pub make: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub colour: Option<String>,
    #[serde(default)]
    pub plate: Option<String>,
}

impl Vehicle {
    /// "blue VW Golf, B-RC 123", or None when nothing is known.
    pub fn describe(&self) -> Option<String> {
        let name: Vec<&str> =
            [&self.colour, &self.make, &self.model].into_iter().filter_map(|s| s.as_deref()).collect();
        let name = name.join(" ");
        match (name.is_empty(), self.plate.as_deref()) {
            (true, None) => None,
            (true, Some(plate)) => Some(plate.to_owned()),
            (false, None) => Some(name),
            (false, Some(plate)) => Some(format!("{name}, {plate}")),
        }
    }
}

/// Untrusted input, field by field, exactly as received.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HelpRequestDraft {
    /// One of the problems (flat_tire, battery, lockout, fuel, tow, other).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<super::Problem>))]
    pub problem: Option<String>,
    /// Words for "other" (fuel, tow, anything else).
    #[serde(default)]
    pub problem_detail: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub location: Option<LocationDraft>,
    /// Where, in words: road, exit, landmark, direction of travel.
    #[serde(default)]
    pub place: Option<String>,
    /// What the technician must know to reach the car: gate code, closed yard, side of the road.
    #[serde(default)]
    pub access_notes: Option<String>,
    #[serde(default)]
    pub vehicle: Option<Vehicle>,
    #[serde(default)]
    pub notes: Option<String>,
    /// A child or a pet is shut inside the vehicle: an emergency, whatever the problem.
    #[serde(default)]
    pub someone_inside: Option<bool>,
    /// The customer's language for texts and calls: `en` or `ru` (`ru-RU` counts as `ru`); the server's default
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A position we trust enough to send a truck to.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

/// Beyond this a "fix" is not a location: it is a guess over a whole city.
#[cfg(feature = "ssr")]
pub const MAX_ACCURACY_M: f64 = 50_000.0;

/// Why a position was refused.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CoordinatesRefusal {
    NotNumbers,
    Latitude(f64),
    Longitude(f64),
    NoFix,
    Accuracy,
}

#[cfg(feature = "ssr")]
impl Coordinates {
    pub fn new(lat: f64, lon: f64, accuracy_m: Option<f64>) -> Result<Coordinates, CoordinatesRefusal> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(CoordinatesRefusal::NotNumbers);
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordinatesRefusal::Latitude(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordinatesRefusal::Longitude(lon));
        }
        // A receiver with no fix reports 0,0: a spot in the Atlantic, never a breakdown.
        if lat == 0.0 && lon == 0.0 {
            return Err(CoordinatesRefusal::NoFix);
        }
        if let Some(a) = accuracy_m
            && (!a.is_finite() || !(0.0..=MAX_ACCURACY_M).contains(&a))
        {
            return Err(CoordinatesRefusal::Accuracy);
        }
        Ok(Coordinates { lat, lon, accuracy_m })
    }
}

/// A request that passed every check.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
pub struct NewHelpRequest {
    pub problem: Problem,
    pub problem_detail: Option<String>,
    pub phone: Phone,
    pub name: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub place: Option<String>,
    pub access_notes: Option<String>,
    pub vehicle: Vehicle,
    pub notes: Option<String>,
    pub someone_inside: bool,
    pub locale: Option<crate::Locale>,
}

#[cfg(feature = "ssr")]
impl HelpRequestDraft {
    /// Every field is checked, so the customer sees all that is wrong at once, not one error a round trip.
    pub fn validate(&self, region: Region) -> Result<NewHelpRequest, Vec<FieldRefusal>> {
        use FieldReason as R;
        let mut errors = Vec::new();
        let mut text = |field: &'static str, value: &Option<String>, max: usize, multiline: bool| {
            text::clean(value.as_deref(), max, multiline).unwrap_or_else(|e| {
                errors.push(FieldRefusal::new(field, R::Text(e)));
                None
            })
        };
        let problem_detail = text("problem_detail", &self.problem_detail, MAX_SHORT, false);
        let name = text("name", &self.name, MAX_SHORT, false);
        let place = text("place", &self.place, MAX_PLACE, true);
        let access_notes = text("access_notes", &self.access_notes, MAX_PLACE, true);
        let notes = text("notes", &self.notes, MAX_NOTES, true);
        let v = self.vehicle.clone().unwrap_or_default();
        let vehicle = Vehicle {
            make: text("vehicle.make", &v.make, MAX_SHORT, false),
            model: text("vehicle.model", &v.model, MAX_SHORT, false),
            colour: text("vehicle.colour", &v.colour, MAX_SHORT, false),
            plate: text("vehicle.plate", &v.plate, 20, false),
        };

        let problem = match self.problem.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldRefusal::new("problem", R::NoProblem));
                None
            }
            Some(p) => Problem::parse(p).or_else(|| {
                errors.push(FieldRefusal::new("problem", R::UnknownProblem));
                None
            }),
        };

        let phone = Phone::parse(self.phone.as_deref().unwrap_or(""), region)
            .map_err(|m| errors.push(FieldRefusal::new("phone", R::Phone(m))))
            .ok();

        let coordinates = match &self.location {
            None => None,
            Some(l) => Coordinates::new(l.lat, l.lon, l.accuracy_m)
                .map_err(|m| errors.push(FieldRefusal::new("location", R::Coordinates(m))))
                .ok(),
        };
        let locale = match self.language.as_deref().map(str::trim) {
            None | Some("") => None,
            // As languages are tagged: `ru`, `RU`, `ru-RU` all are Russian.
            Some(tag) => tag
                .split(['-', '_'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
                .parse::<crate::Locale>()
                .map_err(|_| errors.push(FieldRefusal::new("language", R::UnknownLanguage)))
                .ok(),
        };
        let location_refused = errors.iter().any(|e| e.field == "location");
        if coordinates.is_none() && place.is_none() && !location_refused {
            errors.push(FieldRefusal::new("place", R::NoPlace));
        }

        match (problem, phone) {
            (Some(problem), Some(phone)) if errors.is_empty() => Ok(NewHelpRequest {
                problem,
                problem_detail,
                phone,
                name,
                coordinates,
                place,
                access_notes,
                vehicle,
                notes,
                someone_inside: self.someone_inside.unwrap_or(false),
                locale,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn us() -> Region {
        Region::parse("US").unwrap_or_else(|| unreachable!())
    }

    fn good() -> HelpRequestDraft {
        HelpRequestDraft {
            problem: Some("flat_tire".into()),
            phone: Some("+1 201 555 0123".into()),
            location: Some(LocationDraft { lat: 40.7, lon: -74.0, accuracy_m: Some(12.0) }),
            ..Default::default()
        }
    }

    fn fields(r: Result<NewHelpRequest, Vec<FieldRefusal>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|e| e.field.to_owned()).collect()
    }

    #[test]
    fn a_language_is_read_as_tags_are_written_and_one_we_do_not_write_is_refused() {
        for (tag, locale) in [
            ("ru", crate::Locale::ru),
            (" RU ", crate::Locale::ru),
            ("ru-RU", crate::Locale::ru),
            ("en_GB", crate::Locale::en),
        ] {
            let d = HelpRequestDraft { language: Some(tag.into()), ..good() };
            assert_eq!(d.validate(us()).map(|r| r.locale).ok(), Some(Some(locale)), "{tag}");
        }
        assert_eq!(good().validate(us()).map(|r| r.locale).ok(), Some(None), "none named: the server's default");
        let d = HelpRequestDraft { language: Some("de".into()), ..good() };
        assert_eq!(fields(d.validate(us())), vec!["language"]);
    }

    #[test]
    fn a_complete_request_is_accepted() {
        let ok = good().validate(us());
        assert_eq!(ok.as_ref().map(|r| r.problem).ok(), Some(Problem::FlatTire));
        assert_eq!(ok.map(|r| r.phone.e164().to_owned()).ok(), Some("+12015550123".into()));
    }

    #[test]
    fn a_child_or_pet_inside_is_kept_and_absent_means_no() {
        let inside = HelpRequestDraft { problem: Some("lockout".into()), someone_inside: Some(true), ..good() };
        assert_eq!(inside.validate(us()).map(|r| r.someone_inside).ok(), Some(true));
        assert_eq!(good().validate(us()).map(|r| r.someone_inside).ok(), Some(false));
    }

    #[test]
    fn a_place_description_replaces_a_missing_fix() {
        let d = HelpRequestDraft { location: None, place: Some("A7 north, exit 12".into()), ..good() };
        assert!(d.validate(us()).is_ok());
    }

    #[test]
    fn neither_fix_nor_place_is_refused_with_a_reason() {
        let d = HelpRequestDraft { location: None, place: Some("  ".into()), ..good() };
        assert_eq!(fields(d.validate(us())), vec!["place"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let d = HelpRequestDraft {
            problem: Some("engine_fire".into()),
            phone: Some("12".into()),
            name: Some("x".repeat(61)),
            location: Some(LocationDraft { lat: 91.0, lon: 0.0, accuracy_m: None }),
            ..Default::default()
        };
        let mut f = fields(d.validate(us()));
        f.sort();
        assert_eq!(f, vec!["location", "name", "phone", "problem"]);
    }

    #[test]
    fn absurd_accuracy_and_null_island_are_refused() {
        for (lat, lon, acc) in [(40.0, -74.0, Some(-1.0)), (40.0, -74.0, Some(1e9)), (0.0, 0.0, Some(5.0))] {
            let d = HelpRequestDraft { location: Some(LocationDraft { lat, lon, accuracy_m: acc }), ..good() };
            assert_eq!(fields(d.validate(us())), vec!["location"], "{lat},{lon},{acc:?}");
        }
    }

    #[test]
    fn typed_coordinates_parse_and_bad_ones_are_refused() {
        let typed = |t: &str| LocationDraft::from_text("", "", "", t);
        assert_eq!(typed("52.52, 13.405").map(|l| (l.lat, l.lon)), Some((52.52, 13.405)));
        assert_eq!(typed("  "), None);
        for bad in ["52.52", "north of here", "1, 2, 3"] {
            let d = HelpRequestDraft { location: typed(bad), ..good() };
            assert_eq!(fields(d.validate(us())), vec!["location"], "{bad}");
        }
    }

    #[test]
    fn the_browser_fix_wins_over_typed_coordinates() {
        let l = LocationDraft::from_text("48.1", "11.5", "8", "52.52, 13.405");
        assert_eq!(l, Some(LocationDraft { lat: 48.1, lon: 11.5, accuracy_m: Some(8.0) }));
    }

    #[test]
    fn vehicle_is_described_in_reading_order() {
        let v = Vehicle {
            make: Some("VW".into()),
            model: Some("Golf".into()),
            colour: Some("blue".into()),
            plate: Some("B-RC 123".into()),
        };
        assert_eq!(v.describe().as_deref(), Some("blue VW Golf, B-RC 123"));
        assert_eq!(Vehicle::default().describe(), None);
    }

    proptest! {
        #[test]
        fn coordinates_are_accepted_exactly_when_in_range(lat in -200.0f64..200.0, lon in -400.0f64..400.0) {
            let ok = Coordinates::new(lat, lon, Some(10.0)).is_ok();
            let in_range = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && !(lat == 0.0 && lon == 0.0);
            prop_assert_eq!(ok, in_range);
        }

        #[test]
        fn validation_never_panics_on_any_text(s in ".{0,400}") {
            let d = HelpRequestDraft {
                problem: Some(s.clone()), phone: Some(s.clone()), name: Some(s.clone()), place: Some(s.clone()),
                notes: Some(s.clone()), access_notes: Some(s.clone()), problem_detail: Some(s), ..Default::default()
            };
            match d.validate(us()) {
                Ok(_) => {}
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }
    }
}
