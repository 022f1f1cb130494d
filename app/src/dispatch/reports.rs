//! `/dispatch/reports`: how fast requests were accepted and reached, by day and by technician; what customers
//! answered after Done, and whom to ask still. Whole days in the service's time zone; the same requests download as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{LazyRoute, lazy_route};

use crate::{
    api::{StaffPage, dispatch_report},
    domain::{Report, ReportRow, RequestFacts},
    paths,
    ui::Loaded,
};

/// The route's data half, created as soon as the route matches; the view half is split out of the customer's
/// wasm and fetched only when someone opens the reports.
pub struct ReportsPage(Resource<Result<StaffPage<Report>, String>>);

#[lazy_route]
impl LazyRoute for ReportsPage {
    fn data() -> Self {
        let query = use_query_map();
        let range = move || {
            let q = query.read();
            (q.get("from").unwrap_or_default(), q.get("to").unwrap_or_default())
        };
        let page = Resource::new(range, |(from, to)| dispatch_report(from, to));
        Self(page)
    }

    fn view(this: Self) -> AnyView {
        let page = this.0;
        let query = use_query_map();
        let range = move || {
            let q = query.read();
            (q.get("from").unwrap_or_default(), q.get("to").unwrap_or_default())
        };
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
        view! {
            <Title text="Reports · dispatch" />
            <Loaded data=page loading="Counting…" draw />
            <a class="link" href=paths::DISPATCH>"← The board"</a>
        }
        .into_any()
    }
}

/// A plain GET form: works before the wasm, and the address can be bookmarked.
#[component]
fn RangeForm(from: String, to: String) -> impl IntoView {
    view! {
        <form class="card range" method="get" action="/dispatch/reports">
            <label>"From" <input type="date" name="from" value=from /></label>
            <label>"To" <input type="date" name="to" value=to /></label>
            <button class="button secondary" type="submit">"Show"</button>
        </form>
    }
}

#[component]
fn ReportView(report: Report) -> impl IntoView {
    let Report { from, to, total, by_day, by_technician, answers, unanswered, cut_short } = report;
    let csv = format!("{}?from={from}&to={to}", paths::DISPATCH_REPORTS_CSV);
    view! {
        <section class="card">
            <h1>"Reports"</h1>
            <p class="note">{format!("{from} to {to}, days in {}", crate::api::time_zone().name)}</p>
            <p class="summary" data-total=total.requests>
                {summary(&total)}
            </p>
            <p class="refusal cut-short" role="alert" class:hidden=!cut_short>
                "This range holds more requests than one report counts: only the newest are counted. Choose a shorter range."
            </p>
            <a class="button secondary" href=csv download="">"Download CSV"</a>
        </section>
        <RangeForm from to />
        <RowTable title="By day" first="Day" rows=by_day />
        <RowTable title="By technician" first="Technician" rows=by_technician />
        <section class="card" id="answers">
            <h2>"Follow-up answers"</h2>
            <FactsList facts=answers empty="No answers yet." />
        </section>
        <section class="card" id="unanswered">
            <h2>"Not answered yet"</h2>
            <p class="note">"Done, and the customer has not said how it went."</p>
            <FactsList facts=unanswered empty="Every customer has answered." />
        </section>
    }
}

fn summary(total: &ReportRow) -> String {
    format!(
        "{} · {} accepted in {} (median) · {} reached in {} (median) · rating {}",
        match total.requests {
            1 => "1 request".to_owned(),
            n => format!("{n} requests"),
        },
        total.accepted,
        duration(total.median_to_accept_ms),
        total.arrived,
        duration(total.median_to_arrival_ms),
        rating(total),
    )
}

#[component]
fn RowTable(title: &'static str, first: &'static str, rows: Vec<ReportRow>) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <section class="card report">
            <h2>{title}</h2>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{first}</th>
                            <th scope="col" title="Requests">"Req."</th>
                            <th scope="col" title="Median time to accept">"Accept"</th>
                            <th scope="col" title="Median time to arrival">"Arrive"</th>
                            <th scope="col">"Rating"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr data-key=r.key.clone()>
                                        // A non-breaking hyphen: a date never breaks over two lines.
                                        <th scope="row">{r.key.replace('-', "\u{2011}")}</th>
                                        <td>{r.requests}</td>
                                        <td data-accept-ms=r.median_to_accept_ms>{duration(r.median_to_accept_ms)}</td>
                                        <td data-arrival-ms=r.median_to_arrival_ms>{duration(r.median_to_arrival_ms)}</td>
                                        <td title=format!("{} answers", r.answers)>{average(&r)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="note" class:hidden=empty>"Accept, Arrive: median time from the request."</p>
            <p class="note" class:hidden=!empty>"Nothing in these days."</p>
        </section>
    }
}

#[component]
fn FactsList(facts: Vec<RequestFacts>, empty: &'static str) -> impl IntoView {
    let none = facts.is_empty();
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
                                    {f.rating.map_or("no answer".to_owned(), |r| format!("{r} of 5"))}
                                </span>
                                <span class="job-tech">{f.technician.clone().unwrap_or_default()}</span>
                                {f.comment.clone().map(|c| view! { <span class="job-tech">"“" {c} "”"</span> })}
                            </a>
                            {f.rating.is_none().then(|| view! {
                                <a class="button secondary call-customer" href=format!("tel:{}", f.phone)>"Call and ask"</a>
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
fn duration(ms: Option<i64>) -> String {
    match ms.map(|m| m.max(0) / 1000) {
        None => "—".to_owned(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) => format!("{} h {} min", s / 3600, s / 60 % 60),
    }
}

/// The mean rating alone, for a narrow table column.
fn average(row: &ReportRow) -> String {
    row.rating_tenths.map_or("—".to_owned(), |t| format!("{}.{}", t / 10, t % 10))
}

fn rating(row: &ReportRow) -> String {
    row.rating_tenths.map_or("—".to_owned(), |t| format!("{}.{} ({})", t / 10, t % 10, row.answers))
}
