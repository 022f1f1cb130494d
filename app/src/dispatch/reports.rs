//! `/dispatch/reports`: how fast requests were accepted and reached, by day and by technician; what customers
//! answered after Done, and whom to ask still. Whole days in the service's time zone; the same requests download as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    Locale,
    api::{StaffPage, dispatch_report},
    domain::{Report, ReportRow, RequestFacts},
    i18n::td_string,
    page_locale, paths, texts,
    ui::Loaded,
};

/// The reports, drawn by the server: nothing on them needs the wasm (the range is a plain GET form, the CSV a
/// link).
#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    let range = move || {
        let q = query.read();
        (q.get("from").unwrap_or_default(), q.get("to").unwrap_or_default())
    };
    let page = Resource::new(range, |(from, to)| dispatch_report(from, to));
    let draw = move |page: Result<StaffPage<Report>, String>| match page {
        Ok(page) => view! { <ReportView report=page.data /> }.into_any(),
        Err(e) => {
            let (from, to) = range();
            view! {
                <p class="card refusal" role="alert">{e}</p>
                <RangeForm from to />
            }
            .into_any()
        }
    };
    let l = page_locale();
    view! {
        <Title text=td_string!(l, reports.title) />
        <Loaded data=page loading=td_string!(l, reports.counting) draw />
        <a class="link" href=paths::DISPATCH>{td_string!(l, request.board)}</a>
    }
}

/// A plain GET form: works before the wasm, and the address can be bookmarked.
#[component]
fn RangeForm(from: String, to: String) -> impl IntoView {
    let l = page_locale();
    view! {
        <form class="card range" method="get" action="/dispatch/reports">
            <label>{td_string!(l, reports.from)} <input type="date" name="from" value=from /></label>
            <label>{td_string!(l, reports.to)} <input type="date" name="to" value=to /></label>
            <button class="button secondary" type="submit">{td_string!(l, reports.show)}</button>
        </form>
    }
}

#[component]
fn ReportView(report: Report) -> impl IntoView {
    let Report { from, to, total, by_day, by_technician, answers, unanswered, cut_short } = report;
    let csv = format!("{}?from={from}&to={to}", paths::DISPATCH_REPORTS_CSV);
    let l = page_locale();
    let range = td_string!(
        l,
        reports.range,
        from = texts::date(l, &from),
        to = texts::date(l, &to),
        zone = crate::api::time_zone().name,
    )
    .to_string();
    view! {
        <section class="card">
            <h1>{td_string!(l, reports.heading)}</h1>
            <p class="note">{range}</p>
            <p class="summary" data-total=total.requests>
                {summary(l, &total)}
            </p>
            <p class="refusal cut-short" role="alert" class:hidden=!cut_short>
                {td_string!(l, reports.cut_short)}
            </p>
            <a class="button secondary" href=csv download="">{td_string!(l, reports.csv)}</a>
        </section>
        <RangeForm from to />
        <RowTable title=td_string!(l, reports.by_day) first=td_string!(l, reports.day) rows=by_day dated=true />
        <RowTable
            title=td_string!(l, reports.by_technician)
            first=td_string!(l, reports.technician)
            rows=by_technician
            dated=false
        />
        <section class="card" id="answers">
            <h2>{td_string!(l, reports.answers)}</h2>
            <FactsList facts=answers empty=td_string!(l, reports.no_answers) />
        </section>
        <section class="card" id="unanswered">
            <h2>{td_string!(l, reports.unanswered)}</h2>
            <p class="note">{td_string!(l, reports.unanswered_note)}</p>
            <FactsList facts=unanswered empty=td_string!(l, reports.everyone_answered) />
        </section>
    }
}

fn summary(l: Locale, total: &ReportRow) -> String {
    td_string!(
        l,
        reports.summary,
        requests = td_string!(l, requests, count = total.requests),
        accepted = total.accepted,
        to_accept = duration(l, total.median_to_accept_ms),
        arrived = total.arrived,
        to_arrive = duration(l, total.median_to_arrival_ms),
        rating = rating(l, total),
    )
    .to_string()
}

/// A table of rows keyed by day (drawn in the language's date format) or by technician.
#[component]
fn RowTable(title: &'static str, first: &'static str, rows: Vec<ReportRow>, dated: bool) -> impl IntoView {
    let empty = rows.is_empty();
    let l = page_locale();
    view! {
        <section class="card report">
            <h2>{title}</h2>
            // Scrolls sideways when the columns are wider than the phone (Russian's are): reachable by keyboard.
            <div class="table-wrap" tabindex="0" role="region" aria-label=title>
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{first}</th>
                            <th scope="col" title=td_string!(l, reports.requests_title)>{td_string!(l, reports.req)}</th>
                            <th scope="col" title=td_string!(l, reports.accept_title)>{td_string!(l, reports.accept)}</th>
                            <th scope="col" title=td_string!(l, reports.arrive_title)>{td_string!(l, reports.arrive)}</th>
                            <th scope="col">{td_string!(l, reports.rating)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr data-key=r.key.clone()>
                                        // A non-breaking hyphen: a date never breaks over two lines.
                                        <th scope="row">
                                            {if dated { texts::date(l, &r.key).replace('-', "\u{2011}") } else { r.key.clone() }}
                                        </th>
                                        <td>{r.requests}</td>
                                        <td data-accept-ms=r.median_to_accept_ms>{duration(l, r.median_to_accept_ms)}</td>
                                        <td data-arrival-ms=r.median_to_arrival_ms>{duration(l, r.median_to_arrival_ms)}</td>
                                        <td title=td_string!(l, reports.answer_count, count = r.answers).to_string()>
                                            {average(l, &r)}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="note" class:hidden=empty>{td_string!(l, reports.medians_note)}</p>
            <p class="note" class:hidden=!empty>{td_string!(l, reports.nothing)}</p>
        </section>
    }
}

#[component]
fn FactsList(facts: Vec<RequestFacts>, empty: &'static str) -> impl IntoView {
    let none = facts.is_empty();
    let l = page_locale();
    view! {
        <ul class="jobs found">
            {facts
                .into_iter()
                .map(|f| {
                    view! {
                        <li data-number=f.number.clone()>
                            <a class="job" href=paths::at(paths::DISPATCH_REQUEST, &f.number)>
                                <span class="job-number">{f.number.clone()}</span>
                                <span class="job-status">
                                    {f.rating.map_or(td_string!(l, reports.no_answer).to_owned(), |r| {
                                        td_string!(l, reports.of_five, r).to_string()
                                    })}
                                </span>
                                <span class="job-tech">{f.technician.clone().unwrap_or_default()}</span>
                                {f.comment.clone().map(|c| view! { <span class="job-tech">"“" {c} "”"</span> })}
                            </a>
                            {f.rating.is_none().then(|| view! {
                                <a class="button secondary call-customer" href=format!("tel:{}", f.phone)>{td_string!(l, reports.call_and_ask)}</a>
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <p class="note" class:hidden=!none>{empty}</p>
    }
}

/// "45 s", "12 min", "1 h 5 min", or a dash when nothing was measured.
fn duration(l: Locale, ms: Option<i64>) -> String {
    match ms.map(|m| m.max(0) / 1000) {
        None => "—".to_owned(),
        Some(s) if s < 60 => td_string!(l, staff.seconds, s).to_string(),
        Some(s) if s < 3600 => td_string!(l, staff.minutes, m = s / 60).to_string(),
        Some(s) => td_string!(l, staff.hours_minutes, h = s / 3600, m = s / 60 % 60).to_string(),
    }
}

/// The mean rating alone, for a narrow table column: "4.3", "4,3".
fn average(l: Locale, row: &ReportRow) -> String {
    row.rating_tenths.map_or("—".to_owned(), |t| texts::decimal(l, t as f64 / 10.0))
}

fn rating(l: Locale, row: &ReportRow) -> String {
    row.rating_tenths.map_or("—".to_owned(), |t| format!("{} ({})", texts::decimal(l, t as f64 / 10.0), row.answers))
}
