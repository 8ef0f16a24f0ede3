//! The match page, for every role: what this user may see of the match (staged disclosure is done
//! by `matches::view`, the same as the API) and a form per action this user may take.

use super::forms::{self, FormState, Kind};
use super::{render_status, see_other, CheckedForm, Ctx, PageError, PageUser};
use crate::audit::Channel;
use crate::domain::workflow;
use crate::error::AppError;
use crate::service::matches::{self as svc, ActionInput, MatchView};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/matches/{id}", web::get().to(show)).route("/matches/{id}", web::post().to(act));
}

#[derive(Template)]
#[template(path = "pages/match.html")]
pub struct MatchPage {
    pub ctx: Ctx,
    pub m: MatchView,
    pub form: FormState,
    pub message: Option<String>,
    pub role: String,
    pub not_started_reasons: &'static [(&'static str, &'static str)],
    pub contract_types: &'static [(&'static str, &'static str)],
}
crate::page!(MatchPage);

impl MatchPage {
    pub fn can(&self, action: &str) -> bool {
        self.m.next.iter().any(|n| n.action.as_str() == action)
    }
    pub fn euros(&self, cents: &i64) -> String {
        crate::web::pages::employer::euros(*cents)
    }
    /// Width of a bar in percent of `of` (0..100), for the score bars.
    /// The employer's monthly cost as a sum: gross wage costs − LKS (when chosen and possible) −
    /// LKV per month = net, each with its bar width (0..100 of the gross). Empty for unpaid work.
    pub fn cost_breakdown(&self) -> Vec<(&'static str, String, String)> {
        let Some(p) = &self.m.package else { return vec![] };
        let Some(gross) = p.gross_monthly_wage_costs_cents.filter(|g| *g > 0) else { return vec![] };
        let lks = if self.m.instruments.loonkostensubsidie && p.lks_possible() {
            p.loonkostensubsidie.as_ref().map(|l| l.amount_cents).unwrap_or(0)
        } else {
            0
        };
        let lkv = p.lkv_per_year_cents.unwrap_or(0) / 12;
        let net = p.net_cost_cents(self.m.instruments.loonkostensubsidie).unwrap_or(gross - lks - lkv);
        let w = |c: i64| format!("{:.1}", (c as f64 / gross as f64 * 100.0).clamp(0.0, 100.0));
        let mut v = vec![("Brutoloonkosten", crate::domain::euros(gross), w(gross))];
        if lks > 0 {
            v.push(("− Loonkostensubsidie", crate::domain::euros(lks), w(lks)));
        }
        if lkv > 0 {
            v.push(("− Loonkostenvoordeel (per maand)", crate::domain::euros(lkv), w(lkv)));
        }
        v.push(("= Nettokosten", crate::domain::euros(net), w(net)));
        v
    }
    /// The filled part of a factor's bar, on the scale of the largest weight.
    pub fn bar_width(&self, part: impl crate::domain::nl::Val<f64>, max: impl crate::domain::nl::Val<f64>) -> String {
        let (part, max) = (part.val(), max.val());
        self.pct_of(part.min(max), self.max_weight())
    }
    pub fn max_weight(&self) -> f64 {
        self.m.factors.iter().map(|f| f.max).fold(0.0, f64::max)
    }
    pub fn pct_of(&self, part: impl crate::domain::nl::Val<f64>, of: impl crate::domain::nl::Val<f64>) -> String {
        let (part, of) = (part.val(), of.val());
        if of <= 0.0 {
            return "0".into();
        }
        format!("{:.1}", (part / of * 100.0).clamp(0.0, 100.0))
    }
}

async fn load(state: &AppState, user: crate::auth::CurrentUser, id: String) -> Result<MatchView, AppError> {
    let rd = state.env();
    state.db(move |conn| svc::show(conn, &crate::service::Ctx::new(&user, &rd), &id, Channel::Page)).await
}

async fn show(req: HttpRequest, state: web::Data<AppState>, user: PageUser, path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let m = load(&state, u.clone(), path.into_inner()).await?;
    let page = MatchPage {
        ctx: Ctx::new(&req, Some(&u)),
        m,
        form: FormState::default(),
        message: None,
        role: u.role.as_str().into(),
        not_started_reasons: workflow::NOT_STARTED_REASONS,
        contract_types: workflow::CONTRACT_TYPES,
    };
    render_status(StatusCode::OK, &page)
}

/// The fields of the action forms on a match page.
const ACTION_FIELDS: &[(&str, Kind)] = &[
    ("action", Kind::ReqText),
    ("version", Kind::Int),
    ("reason", Kind::Text),
    ("introduction_date", Kind::Text),
    ("introduction_time", Kind::Text),
    ("introduction_place", Kind::Text),
    ("introduction_contact", Kind::Text),
    ("start_date", Kind::Text),
    ("trial_end_date", Kind::Text),
    ("contract_type", Kind::Text),
    ("hours_per_week", Kind::Int),
    ("hourly_wage_cents", Kind::EuroCents),
    ("instruments_granted", Kind::List),
];

async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: CheckedForm,
) -> Result<HttpResponse, PageError> {
    let u = user.0;
    let id = path.into_inner();
    let mut fs = form.0;
    let mut input = forms::read::<ActionInput>(&fs, ACTION_FIELDS);
    // Stopping is asked twice on the page: the person ticks that they are sure.
    if u.role == crate::domain::Role::Kandidaat && fs.v("action") == "withdraw_consent" && !fs.checked("zeker") {
        input = Err(vec![crate::domain::FieldError::new("zeker", "Zet een vinkje als u echt wilt stoppen.")]);
    }
    let outcome = match input {
        Err(errs) => Err(AppError::Validation(errs)),
        Ok(input) => {
            let (u2, id2, rd) = (u.clone(), id.clone(), state.env());
            state.tx(move |conn| svc::act(conn, &crate::service::Ctx::new(&u2, &rd), &id2, &input).map(|_| ())).await
        }
    };
    let message = match outcome {
        Ok(()) => return Ok(see_other(&format!("/matches/{id}"))),
        Err(AppError::Validation(errs)) => {
            fs.errors = errs;
            None
        }
        Err(AppError::IllegalTransition { .. }) | Err(AppError::Conflict { .. }) => {
            Some("Deze match is intussen veranderd. Hieronder ziet u hoe hij er nu voor staat.".to_string())
        }
        Err(e) => return Err(e.into()),
    };
    let m = load(&state, u.clone(), id).await?;
    let page = MatchPage {
        ctx: Ctx::new(&req, Some(&u)),
        m,
        form: fs,
        message,
        role: u.role.as_str().into(),
        not_started_reasons: workflow::NOT_STARTED_REASONS,
        contract_types: workflow::CONTRACT_TYPES,
    };
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
