//! The quarterly monitor page: charts (SVG from plotters, on the server) each with a data table,
//! and links to the CSV and XLSX exports and the algorithm register.

use super::{render, Ctx, PageError, PageUser};
use crate::domain::monitor::Quarter;
use crate::domain::Role;
use crate::state::AppState;
use crate::web::api::monitor::{load, quarter_of, MonitorParams, MonitorView};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/monitor", web::get().to(page));
}

pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub svg: String,
    /// (label, value) for the table beside the chart.
    pub rows: Vec<(String, String)>,
    pub value_header: &'static str,
    /// When there is nothing to draw: what to say instead.
    pub empty: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "pages/monitor.html")]
struct MonitorPage {
    ctx: Ctx,
    m: MonitorView,
    quarter: String,
    quarters: Vec<String>,
    charts: Vec<Chart>,
    is_klantmanager: bool,
}
crate::page!(MonitorPage);

impl MonitorPage {
    pub fn euros(&self, cents: &i64) -> String {
        super::employer::euros(*cents)
    }
    pub fn km_name(&self, id: &str) -> String {
        self.m.klantmanagers.get(id).cloned().unwrap_or_else(|| "(account verwijderd)".into())
    }
    /// The heat class (0..4) of a transition-matrix cell, relative to the largest cell.
    pub fn heat(&self, n: &u64) -> u64 {
        let max = self.m.monitor.total.ladder.transitions.iter().flatten().copied().max().unwrap_or(0);
        if *n == 0 || max == 0 { 0 } else { 1 + (*n * 3) / max.max(1) }.min(4)
    }
    /// Width (0..100) of an SROI progress bar: realised share of the obligation, capped at 100.
    pub fn progress(&self, p: &Option<f64>) -> String {
        format!("{:.1}", p.unwrap_or(0.0).clamp(0.0, 100.0))
    }
    /// Bar width (0..100) and text of a target's share reached.
    pub fn target_bar(&self, t: &crate::domain::monitor::TargetLine) -> String {
        self.progress(&Some(crate::domain::monitor::target_pct(t.realised, t.target)))
    }
    pub fn target_share(&self, t: &crate::domain::monitor::TargetLine) -> String {
        crate::domain::nl::pct(crate::domain::monitor::target_pct(t.realised, t.target))
    }
    pub fn pct(&self, p: &Option<f64>) -> String {
        p.map(crate::domain::nl::pct).unwrap_or_else(|| "–".into())
    }
}

fn chart(
    id: &'static str,
    title: &'static str,
    labels: Vec<String>,
    values: Vec<f64>,
    y: &str,
    value_header: &'static str,
    fmt: impl Fn(f64) -> String,
) -> Result<Chart, PageError> {
    if values.iter().all(|v| *v == 0.0) {
        return Ok(Chart {
            id,
            title,
            svg: String::new(),
            rows: vec![],
            value_header,
            empty: Some("Nog niets te tonen: in dit kwartaal zijn alle aantallen nul."),
        });
    }
    let svg = crate::charts::bars(title, &labels, &values, y).map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("chart {id}: {e}")))?;
    let alt = format!("{title}: {}", labels.iter().zip(&values).map(|(l, v)| format!("{l} {}", fmt(*v))).collect::<Vec<_>>().join(", "));
    Ok(Chart {
        id,
        title,
        svg: crate::charts::inline(&svg, &alt),
        rows: labels.into_iter().zip(values.into_iter().map(fmt)).collect(),
        value_header,
        empty: None,
    })
}

async fn page(req: HttpRequest, state: web::Data<AppState>, user: PageUser, q: web::Query<MonitorParams>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    u.require(&[Role::Klantmanager, Role::Beheerder])?;
    let quarter = quarter_of(&q)?;
    let m = load(&state, &u, quarter).await?;
    let t = &m.monitor.total;
    let count = |v: f64| format!("{v:.0}");
    let mut charts = vec![
        chart(
            "ladder",
            "Trede op de participatieladder aan het einde van het kwartaal",
            (1..=6).map(|s| format!("trede {s}")).chain(["onbekend".to_string()]).collect(),
            t.ladder.distribution.iter().map(|v| *v as f64).chain([t.ladder.unknown as f64]).collect(),
            "kandidaten",
            "Kandidaten",
            count,
        )?,
        chart(
            "beweging",
            "Beweging op de ladder ten opzichte van het vorige kwartaal",
            vec!["omhoog".into(), "gelijk".into(), "omlaag".into()],
            vec![t.ladder.up as f64, t.ladder.same as f64, t.ladder.down as f64],
            "kandidaten",
            "Kandidaten",
            count,
        )?,
        chart(
            "trechter",
            "Voorstellen van dit kwartaal: hoe ver kwamen ze?",
            vec!["voorgesteld".into(), "toestemming".into(), "interesse".into(), "kennismaking".into(), "gestart".into()],
            vec![
                t.funnel.proposed as f64,
                t.funnel.consented as f64,
                t.funnel.interested as f64,
                t.funnel.introduced as f64,
                t.funnel.started as f64,
            ],
            "voorstellen",
            "Voorstellen",
            count,
        )?,
    ];
    if !m.monitor.targets.is_empty() {
        charts.push(chart(
            "doelen",
            "Doelen per klantgroep: gehaald deel tot het einde van het kwartaal",
            m.monitor.targets.iter().map(|t| format!("{}: {}", t.name, t.indicator.label_nl().to_lowercase())).collect(),
            m.monitor.targets.iter().map(|t| crate::domain::monitor::target_pct(t.realised, t.target)).collect(),
            "% van het doel",
            "Gehaald",
            crate::domain::nl::pct,
        )?);
    }
    if !m.monitor.sroi.is_empty() {
        charts.push(chart(
            "sroi",
            "Social return: gehaald deel van de verplichting per contract",
            m.monitor.sroi.iter().map(|s| s.reference.clone()).collect(),
            m.monitor.sroi.iter().map(|s| s.met_pct.unwrap_or(0.0)).collect(),
            "% van de verplichting",
            "Gehaald",
            crate::domain::nl::pct,
        )?);
    }
    let now = Quarter::of(crate::clock::today());
    let mut quarters = vec![];
    let mut x = now;
    for _ in 0..8 {
        quarters.push(x.label());
        x = x.prev();
    }
    if !quarters.contains(&quarter.label()) {
        quarters.push(quarter.label());
    }
    render(&MonitorPage {
        ctx: Ctx::new(&req, Some(&u)),
        quarter: quarter.label(),
        quarters,
        charts,
        is_klantmanager: u.role == Role::Klantmanager,
        m,
    })
}
