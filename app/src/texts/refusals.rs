//! What a refusal says to the person refused, in their language: the domain and the services name why (an enum),
//! these words say it. Only the server says them, so none of this is in the wasm.

use crate::{
    Locale,
    domain::{
        ChecklistRefusal, CoordinatesRefusal, DelaysRefusal, DispatchRefusal, FieldReason, FieldRefusal,
        FollowUpRefusal, PhoneRefusal, RangeRefusal, Refusal, RequestStatus, StaffRefusal, TextProblem,
    },
    i18n::td_string,
    push::{EndpointError, KeyError},
    services::{DispatchError, JobError, PartnerError, StaffError, SubscribeError, Unreadable},
};

/// A reason, said to a person in their language.
pub trait Say {
    fn say(&self, locale: Locale) -> String;
}

impl Say for FieldRefusal {
    fn say(&self, l: Locale) -> String {
        match &self.reason {
            FieldReason::Text(problem) => text(l, field(l, self.field), *problem),
            FieldReason::NoProblem => td_string!(l, field_refused.no_problem).into(),
            FieldReason::UnknownProblem => td_string!(l, field_refused.unknown_problem).into(),
            FieldReason::Phone(refusal) => refusal.say(l),
            FieldReason::Coordinates(refusal) => refusal.say(l),
            FieldReason::NoPlace => td_string!(l, field_refused.no_place).into(),
            FieldReason::UnknownLanguage => td_string!(l, refused.language).into(),
        }
    }
}

/// What the customer's form calls a field, for "… is too long".
fn field(l: Locale, name: &str) -> &'static str {
    match name {
        "problem_detail" => td_string!(l, field.problem_detail),
        "name" => td_string!(l, field.name),
        "place" => td_string!(l, field.place),
        "access_notes" => td_string!(l, field.access_notes),
        "vehicle.make" => td_string!(l, field.make),
        "vehicle.model" => td_string!(l, field.model),
        "vehicle.colour" => td_string!(l, field.colour),
        "vehicle.plate" => td_string!(l, field.plate),
        _ => td_string!(l, field.notes),
    }
}

/// "The note is too long: keep it under 1000 characters."
fn text(l: Locale, what: &str, problem: TextProblem) -> String {
    match problem {
        TextProblem::TooLong { max } => td_string!(l, field_refused.too_long, what = what, max = max).to_string(),
        TextProblem::ControlCharacter => td_string!(l, field_refused.not_text, what = what).to_string(),
    }
}

impl Say for PhoneRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            PhoneRefusal::Missing => td_string!(l, field_refused.phone_missing),
            PhoneRefusal::TooLong => td_string!(l, field_refused.phone_too_long),
            PhoneRefusal::NotANumber => td_string!(l, field_refused.phone_not_a_number),
            PhoneRefusal::Invalid => td_string!(l, field_refused.phone_invalid),
        }
        .into()
    }
}

impl Say for CoordinatesRefusal {
    fn say(&self, l: Locale) -> String {
        match *self {
            CoordinatesRefusal::NotNumbers => td_string!(l, field_refused.not_numbers).into(),
            CoordinatesRefusal::Latitude(lat) => td_string!(l, field_refused.latitude, lat = lat).to_string(),
            CoordinatesRefusal::Longitude(lon) => td_string!(l, field_refused.longitude, lon = lon).to_string(),
            CoordinatesRefusal::NoFix => td_string!(l, field_refused.no_fix).into(),
            CoordinatesRefusal::Accuracy => {
                td_string!(l, field_refused.accuracy, max = crate::domain::MAX_ACCURACY_M).to_string()
            }
        }
    }
}

impl Say for Refusal {
    fn say(&self, l: Locale) -> String {
        match self {
            Refusal::TakenBy(who) => td_string!(l, job_refused.taken_by, who = who).to_string(),
            Refusal::NotYours(who) => td_string!(l, job_refused.not_yours, who = who).to_string(),
            Refusal::NotAccepted => td_string!(l, job_refused.not_accepted).into(),
            Refusal::Closed(RequestStatus::Done) => td_string!(l, job_refused.done).into(),
            Refusal::Closed(_) => td_string!(l, job_refused.cancelled).into(),
            Refusal::AlreadyYours => td_string!(l, job_refused.already_yours).into(),
            Refusal::NotOnTheWay => td_string!(l, job_refused.not_on_the_way).into(),
            Refusal::NotArrived => td_string!(l, job_refused.not_arrived).into(),
            Refusal::AlreadyArrived => td_string!(l, job_refused.already_arrived).into(),
            Refusal::OnAnotherJob(number) => td_string!(l, job_refused.on_another_job, number = number).to_string(),
            Refusal::BadEta => td_string!(l, job_refused.bad_eta, max = crate::domain::MAX_ETA_MINUTES).to_string(),
            Refusal::NoteRequired => td_string!(l, job_refused.note_required).into(),
            Refusal::ReasonRequired => td_string!(l, job_refused.reason_required).into(),
            Refusal::BadText(problem) => text(l, td_string!(l, field.note), *problem),
            Refusal::UnknownAction(step) => {
                td_string!(l, job_refused.unknown_step, step = format!("{step:?}")).to_string()
            }
        }
    }
}

impl Say for JobError {
    fn say(&self, l: Locale) -> String {
        match self {
            JobError::NotFound(number) => td_string!(l, job_refused.not_found, number = number).to_string(),
            JobError::Hidden(who) => td_string!(l, job_refused.hidden, who = who).to_string(),
            JobError::NotTechnician => td_string!(l, job_refused.not_technician).into(),
            JobError::Refused(refusal) => refusal.say(l),
            JobError::UnknownItem => td_string!(l, job_refused.unknown_item).into(),
            JobError::Store(_) => td_string!(l, refused.unavailable).into(),
        }
    }
}

impl Say for DispatchRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            DispatchRefusal::Job(refusal) => refusal.say(l),
            DispatchRefusal::AlreadyHas(who) => td_string!(l, dispatch_refused.already_has, who = who).to_string(),
            DispatchRefusal::AlreadyThere => td_string!(l, dispatch_refused.already_there).into(),
            DispatchRefusal::NobodyAssigned => td_string!(l, dispatch_refused.nobody_assigned).into(),
            DispatchRefusal::AlreadyConfirmed => td_string!(l, dispatch_refused.already_confirmed).into(),
            DispatchRefusal::NoCallbackWaiting => td_string!(l, dispatch_refused.no_callback).into(),
            DispatchRefusal::NoTechnician => td_string!(l, dispatch_refused.no_technician).into(),
            DispatchRefusal::ReasonRequired => td_string!(l, dispatch_refused.reason_required).into(),
            DispatchRefusal::BadReason(problem) => text(l, td_string!(l, field.reason), *problem),
            DispatchRefusal::UnknownAction(action) => {
                td_string!(l, dispatch_refused.unknown_action, action = format!("{action:?}")).to_string()
            }
        }
    }
}

impl Say for RangeRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            RangeRefusal::BadDate => td_string!(l, dispatch_refused.bad_date).into(),
            RangeRefusal::Backwards => td_string!(l, dispatch_refused.backwards).into(),
            RangeRefusal::TooLong => {
                td_string!(l, dispatch_refused.too_many_days, max = crate::domain::MAX_REPORT_DAYS).to_string()
            }
        }
    }
}

impl Say for ChecklistRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            ChecklistRefusal::UnknownList(name) => {
                td_string!(l, dispatch_refused.unknown_list, name = format!("{name:?}")).to_string()
            }
            ChecklistRefusal::TooManyLines => {
                td_string!(l, dispatch_refused.too_many_lines, max = crate::domain::MAX_CHECKLIST_LINES).to_string()
            }
            ChecklistRefusal::BadLine { line, problem: TextProblem::TooLong { max } } => {
                td_string!(l, dispatch_refused.line_too_long, line = line, max = max).to_string()
            }
            ChecklistRefusal::BadLine { line, problem: TextProblem::ControlCharacter } => {
                td_string!(l, dispatch_refused.line_not_text, line = line).to_string()
            }
        }
    }
}

impl Say for DelaysRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            DelaysRefusal::NotMinutes => td_string!(l, dispatch_refused.delays_minutes),
            DelaysRefusal::CallBeforeText => td_string!(l, dispatch_refused.call_before_text),
        }
        .into()
    }
}

impl Say for DispatchError {
    fn say(&self, l: Locale) -> String {
        match self {
            DispatchError::NotDispatcher => td_string!(l, dispatch_refused.not_dispatcher).into(),
            DispatchError::NotFound(number) => td_string!(l, job_refused.not_found, number = number).to_string(),
            DispatchError::Refused(refusal) => refusal.say(l),
            DispatchError::UnknownTechnician => td_string!(l, dispatch_refused.unknown_technician).into(),
            DispatchError::BadSearch => td_string!(l, dispatch_refused.bad_search).into(),
            DispatchError::Range(refusal) => refusal.say(l),
            DispatchError::Checklist(refusal) => refusal.say(l),
            DispatchError::BadPhone(refusal) => {
                td_string!(l, dispatch_refused.mobile, why = refusal.say(l)).to_string()
            }
            DispatchError::BadDelays(refusal) => refusal.say(l),
            DispatchError::UnknownLogin(login) => {
                td_string!(l, dispatch_refused.unknown_login, login = login).to_string()
            }
            DispatchError::Store(_) => td_string!(l, refused.unavailable).into(),
        }
    }
}

impl Say for FollowUpRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            FollowUpRefusal::BadRating => td_string!(l, follow_up_refused.bad_rating).into(),
            FollowUpRefusal::NotDone => td_string!(l, follow_up_refused.not_done).into(),
            FollowUpRefusal::AlreadyAnswered => td_string!(l, follow_up_refused.already_answered).into(),
            FollowUpRefusal::BadComment(problem) => text(l, td_string!(l, field.comment), *problem),
        }
    }
}

impl Say for EndpointError {
    fn say(&self, l: Locale) -> String {
        match self {
            EndpointError::NotHttps => td_string!(l, alerts_refused.not_https),
            EndpointError::NotPublic => td_string!(l, alerts_refused.not_public),
            EndpointError::NotFound => td_string!(l, alerts_refused.no_host),
        }
        .into()
    }
}

impl Say for SubscribeError {
    fn say(&self, l: Locale) -> String {
        match self {
            SubscribeError::Invalid(Unreadable::DeviceId) => td_string!(l, alerts_refused.device_id).into(),
            SubscribeError::Invalid(Unreadable::Keys(KeyError::BadPublicKey)) => {
                td_string!(l, alerts_refused.bad_public_key).into()
            }
            SubscribeError::Invalid(Unreadable::Keys(KeyError::BadAuth)) => {
                td_string!(l, alerts_refused.bad_auth).into()
            }
            SubscribeError::Endpoint(e) => e.say(l),
            SubscribeError::TooManyDevices(max) => {
                td_string!(l, alerts_refused.too_many_devices, max = max).to_string()
            }
            SubscribeError::OtherMembers => td_string!(l, alerts_refused.other_members).into(),
            SubscribeError::Store(_) => td_string!(l, alerts_refused.not_saved).into(),
        }
    }
}

impl Say for StaffRefusal {
    fn say(&self, l: Locale) -> String {
        match self {
            StaffRefusal::BadLogin => td_string!(l, staff_refused.bad_login).into(),
            StaffRefusal::NoName => td_string!(l, staff_refused.no_name).into(),
            StaffRefusal::Name(problem) => text(l, td_string!(l, field.staff_name), *problem),
            StaffRefusal::ShortPassword => {
                td_string!(l, staff_refused.short_password, min = crate::domain::MIN_PASSWORD).to_string()
            }
            StaffRefusal::Phone(refusal) => td_string!(l, staff_refused.phone, why = refusal.say(l)).to_string(),
        }
    }
}

/// The command line's refusals, to the operator.
impl Say for StaffError {
    fn say(&self, l: Locale) -> String {
        match self {
            StaffError::LoginTaken(login) => td_string!(l, cli.login_taken, login = format!("{login:?}")).to_string(),
            StaffError::UnknownLogin(login) => {
                td_string!(l, cli.unknown_login, login = format!("{login:?}")).to_string()
            }
            StaffError::Hash(why) => td_string!(l, cli.hash_failed, why).to_string(),
            StaffError::Store(e) => td_string!(l, cli.store, why = e).to_string(),
        }
    }
}

impl Say for PartnerError {
    fn say(&self, l: Locale) -> String {
        match self {
            PartnerError::BadName => td_string!(l, cli.partner_bad_name).into(),
            PartnerError::NameTaken(name) => td_string!(l, cli.partner_exists, name = format!("{name:?}")).to_string(),
            PartnerError::Unknown(name) => td_string!(l, cli.partner_unknown, name = format!("{name:?}")).to_string(),
            PartnerError::Store(e) => td_string!(l, cli.store, why = e).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_field_in_each_language() {
        let long = FieldRefusal::new("vehicle.plate", FieldReason::Text(TextProblem::TooLong { max: 20 }));
        assert_eq!(long.say(Locale::en), "The plate is too long: keep it under 20 characters.");
        assert_eq!(long.say(Locale::ru), "Поле «Номер» слишком длинное: не больше 20 символов.");
        let note = Refusal::BadText(TextProblem::ControlCharacter);
        assert_eq!(note.say(Locale::ru), "Поле «Заметка» содержит символы, которые не являются текстом.");
        assert_eq!(
            DispatchError::BadPhone(PhoneRefusal::Invalid).say(Locale::en),
            "The mobile number: That phone number is not valid. Check the digits and the country code."
        );
        assert_eq!(Refusal::Closed(RequestStatus::Done).say(Locale::ru), "Эта заявка выполнена: делать больше нечего.");
        assert_eq!(
            CoordinatesRefusal::Latitude(91.5).say(Locale::ru),
            "Широта 91.5 вне допустимого: она должна быть от -90 до 90."
        );
    }
}
