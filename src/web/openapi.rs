//! The OpenAPI 3 document, generated from the handler annotations (utoipa).

use super::api::*;
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Opstap API", description = "Matching people on the Participatiewet with work and placements."),
    modifiers(&BearerAuth),
    paths(
        health::health,
        health::live,
        health::ready,
        auth::login, auth::logout, auth::register_employer, auth::password_reset, auth::password_reset_confirm, auth::me, auth::change_password,
        users::list_users, users::create_user, users::update_user, users::list_municipalities,
        organisations::list, organisations::get, organisations::create, organisations::update, organisations::delete, organisations::verify,
        placements::list, placements::get, placements::create, placements::update, placements::delete,
        candidates::list, candidates::get, candidates::create, candidates::update, candidates::delete, candidates::export, candidates::export_own, candidates::own_wishes, candidates::put_wishes, candidates::get_plan, candidates::add_goal, candidates::update_goal, candidates::own_plan, candidates::own_goal, candidates::own_suggestions, candidates::suggest_skill, candidates::decide_skill,
        registrations::signup, registrations::confirm, registrations::own, registrations::list, registrations::assign, registrations::invite,
        client_groups::list, client_groups::get, client_groups::create, client_groups::update, client_groups::delete, client_groups::put_targets, client_groups::handover,
        imports::import, imports::template, imports::runs, imports::report,
        records::list_ladder, records::create_ladder, records::update_ladder, records::delete_ladder,
        records::list_contacts, records::create_contact, records::update_contact, records::delete_contact,
        sroi::list, sroi::get, sroi::create, sroi::update, sroi::delete,
        search::search_placements, search::search_candidates, search::reindex,
        proposals::candidate_proposals, proposals::placement_proposals, proposals::lks, proposals::get_settings, proposals::put_settings,
        matches::create, matches::list, matches::get, matches::action, matches::list_tasks, matches::complete_task, matches::add_interest, matches::my_interests,
        matches::my_access_log, matches::put_consents, matches::get_saved_search, matches::put_saved_search, matches::delete_saved_search, matches::audit_log_query,
        monitor::monitor, monitor::export_csv, monitor::export_xlsx, monitor::algorithm_register,
        esco::suggest_occupations, esco::suggest_skills, esco::occupation, esco::label_skill, esco::create_skill, esco::pc4,
    )
)]
pub struct ApiDoc;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
