//! Row types, one per table. Lists and JSON blobs are stored as TEXT (see ARCHITECTURE.md).

use super::schema::*;
use crate::domain::workflow::{MatchStatus, TaskKind};
use crate::domain::{CandidateStatus, PlacementKind, PlacementStatus, Role};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = municipalities, treat_none_as_default_value = false)]
pub struct Municipality {
    pub id: String,
    pub name: String,
    pub cbs_code: String,
    pub settings: String,
    pub settings_version: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pc4_areas, treat_none_as_default_value = false)]
pub struct Pc4Area {
    pub pc4: String,
    pub lat: f64,
    pub lon: f64,
    pub place: String,
    pub municipality: String,
    pub municipality_code: String,
    pub province: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = isco_groups, treat_none_as_default_value = false)]
pub struct IscoGroup {
    pub isco_code: String,
    pub level: i32,
    pub label_nl: String,
    pub label_en: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = esco_occupations, treat_none_as_default_value = false)]
pub struct EscoOccupation {
    pub id: String,
    pub esco_code: String,
    pub isco_group: String,
    pub label_nl: String,
    pub alt_labels_nl: String,
    pub label_en: String,
    pub description_nl: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = esco_skills, treat_none_as_default_value = false)]
pub struct EscoSkill {
    pub id: String,
    pub skill_type: String,
    pub reuse_level: String,
    pub label_nl: Option<String>,
    pub alt_labels_nl: String,
    pub label_en: String,
    pub group_code: String,
    pub group_nl: String,
    pub description_nl: String,
    pub municipality_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = esco_occupation_skills, treat_none_as_default_value = false)]
pub struct EscoOccupationSkill {
    pub occupation_id: String,
    pub skill_id: String,
    pub essential: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organisations, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub kvk_number: String,
    pub sector: String,
    pub pc4: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub verified: bool,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = users, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct User {
    pub id: String,
    pub email: String,
    pub email_normalized: String,
    /// Never leaves the server, not even in the person's own export.
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub name: String,
    pub municipality_id: Option<String>,
    pub organisation_id: Option<String>,
    pub candidate_id: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = candidates, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Candidate {
    pub id: String,
    pub municipality_id: String,
    pub klantmanager_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub pc4: String,
    pub education_level: String,
    pub startkwalificatie: bool,
    pub language_level: Option<String>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub max_travel_km: i32,
    pub driving_licence: bool,
    pub own_transport: bool,
    pub loonwaarde: Option<i32>,
    pub loonwaarde_date: Option<NaiveDate>,
    pub doelgroepregister: bool,
    pub beschut_werk_indicatie: bool,
    pub lks_target_group: bool,
    pub needs_job_coach: bool,
    pub statushouder: bool,
    pub work_capacity_limits: String,
    pub support_needs: String,
    /// JSON object domain -> score 1..5
    pub zrm_scores: String,
    /// JSON array of sector names
    pub sector_preferences: String,
    pub available_from: Option<NaiveDate>,
    pub consent_matching: bool,
    pub consent_anonymous_profile: bool,
    pub consent_email: bool,
    pub status: CandidateStatus,
    pub outflow_reason: Option<String>,
    pub outflow_date: Option<NaiveDate>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The person's number in the municipality's client system (never a BSN).
    pub client_number: Option<String>,
    pub benefit_type: crate::domain::BenefitType,
    /// Registered with the municipality on (instroom).
    pub registration_date: NaiveDate,
    /// The klantgroep (always set by the service; nullable in the table for older rows).
    pub client_group_id: Option<String>,
    /// How and when the person came into the doelgroepregister.
    pub doelgroepregister_route: Option<crate::domain::klantgroep::DoelgroepRoute>,
    pub doelgroepregister_date: Option<NaiveDate>,
    /// JSON array of placement kinds the person wants (empty: no wish).
    pub kind_preferences: String,
    /// JSON array of days the person can work ("ma".."zo"; empty: not said).
    pub days_available: String,
    /// When the person last changed their own wishes.
    pub wishes_changed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = client_groups, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ClientGroup {
    pub id: String,
    pub municipality_id: String,
    pub name: String,
    pub description: String,
    pub contact_norm_days: i32,
    pub default_target_step: Option<i32>,
    pub is_default: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_group_targets, treat_none_as_default_value = false)]
pub struct ClientGroupTarget {
    pub client_group_id: String,
    pub year: i32,
    pub indicator: crate::domain::klantgroep::TargetIndicator,
    pub target: i32,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_runs, treat_none_as_default_value = false)]
pub struct ImportRun {
    pub id: String,
    pub municipality_id: String,
    pub user_id: Option<String>,
    pub file_name: String,
    pub applied: bool,
    pub rows_read: i32,
    pub valid: i32,
    pub created: i32,
    pub changed: i32,
    pub unchanged: i32,
    pub refused: Option<String>,
    pub issues_csv: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = candidate_occupations, treat_none_as_default_value = false)]
pub struct CandidateOccupation {
    pub candidate_id: String,
    pub occupation_id: String,
    pub experience: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = candidate_skills, treat_none_as_default_value = false)]
pub struct CandidateSkill {
    pub id: String,
    pub candidate_id: String,
    pub skill_id: Option<String>,
    pub free_text: Option<String>,
    pub level: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = ladder_measurements, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct LadderMeasurement {
    pub id: String,
    pub candidate_id: String,
    pub measured_on: NaiveDate,
    pub step: i32,
    pub target_step: Option<i32>,
    pub measured_by: Option<String>,
    pub note: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = contact_moments, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ContactMoment {
    pub id: String,
    pub candidate_id: String,
    pub contact_date: NaiveDate,
    pub channel: crate::domain::ContactChannel,
    pub by_user_id: Option<String>,
    pub note: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sroi_contracts, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SroiContract {
    pub id: String,
    pub organisation_id: String,
    pub municipality_id: String,
    pub reference: String,
    pub description: String,
    pub contract_value_cents: i64,
    pub percentage: f64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = placements, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Placement {
    pub id: String,
    pub organisation_id: String,
    pub kind: PlacementKind,
    pub title: String,
    pub description: String,
    pub occupation_id: Option<String>,
    pub hours_min: i32,
    pub hours_max: i32,
    pub pc4: String,
    pub hourly_wage_cents: Option<i32>,
    pub language_level_required: Option<String>,
    /// comma-separated ladder steps, e.g. "3,4"
    pub ladder_steps: String,
    pub internal_supervisor: bool,
    pub job_coach_welcome: bool,
    pub adapted_workplace: bool,
    pub lks_accepted: bool,
    pub counts_banenafspraak: bool,
    pub sroi_contract_id: Option<String>,
    pub positions: i32,
    pub start_date: Option<NaiveDate>,
    pub duration_months: Option<i32>,
    pub extension_months: Option<i32>,
    pub status: PlacementStatus,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Combines work with learning Dutch.
    pub language_learning: bool,
}

impl Placement {
    pub fn ladder_steps_vec(&self) -> Vec<i32> {
        self.ladder_steps.split(',').filter_map(|s| s.trim().parse().ok()).collect()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = placement_skills, treat_none_as_default_value = false)]
pub struct PlacementSkill {
    pub placement_id: String,
    pub skill_id: String,
    pub required: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = proposal_logs, treat_none_as_default_value = false)]
pub struct ProposalLog {
    pub id: String,
    pub direction: String,
    pub subject_id: String,
    pub municipality_id: Option<String>,
    pub requested_by: String,
    pub role: String,
    pub settings_version: i32,
    pub include_excluded: bool,
    pub results: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = matches, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Match {
    pub id: String,
    pub candidate_id: Option<String>,
    pub erased_subject_id: Option<String>,
    pub municipality_id: String,
    pub klantmanager_id: Option<String>,
    pub placement_id: Option<String>,
    pub organisation_id: Option<String>,
    pub placement_kind: PlacementKind,
    pub placement_title: String,
    pub status: MatchStatus,
    pub version: i32,
    pub instruments: String,
    pub package: String,
    pub employer_net_cost_cents: Option<i64>,
    pub note: String,
    pub proposed_at: NaiveDateTime,
    pub candidate_decided_at: Option<NaiveDateTime>,
    pub candidate_reason: Option<String>,
    pub klantmanager_consent_at: Option<NaiveDateTime>,
    pub employer_decided_at: Option<NaiveDateTime>,
    pub employer_reason: Option<String>,
    pub disclosed_at: Option<NaiveDateTime>,
    pub consent_withdrawn_at: Option<NaiveDateTime>,
    pub introduction_date: Option<NaiveDate>,
    pub start_date: Option<NaiveDate>,
    pub trial_end_date: Option<NaiveDate>,
    pub contract_type: Option<String>,
    pub hours_per_week: Option<f64>,
    pub hourly_wage_cents: Option<i32>,
    pub instruments_granted: Option<String>,
    pub not_started_reason: Option<String>,
    pub sroi_contract_id: Option<String>,
    pub sroi_value_cents: Option<i64>,
    pub retention_6: Option<String>,
    pub retention_12: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub introduction_time: Option<String>,
    pub introduction_place: Option<String>,
    pub introduction_contact: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = match_events, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MatchEvent {
    pub id: String,
    pub match_id: String,
    pub action: String,
    pub from_status: Option<MatchStatus>,
    pub to_status: MatchStatus,
    pub actor_id: Option<String>,
    pub actor_role: Role,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = tasks, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Task {
    pub id: String,
    pub municipality_id: String,
    pub klantmanager_id: Option<String>,
    pub candidate_id: Option<String>,
    pub match_id: Option<String>,
    pub kind: TaskKind,
    pub due_on: NaiveDate,
    pub done_at: Option<NaiveDateTime>,
    pub done_by: Option<String>,
    pub result: Option<String>,
    pub reminded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub placement_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = outbox, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    pub to_address: String,
    pub to_name: String,
    pub recipient_role: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub candidate_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = audit_log, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct AuditEntry {
    pub id: String,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub organisation_id: Option<String>,
    pub candidate_id: String,
    pub municipality_id: Option<String>,
    pub action: String,
    pub what: String,
    pub purpose: String,
    pub channel: crate::auth::Channel,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = saved_searches, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SavedSearch {
    pub candidate_id: String,
    pub query: String,
    pub created_at: NaiveDateTime,
    pub last_sent_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = job_runs, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct JobRun {
    pub job: String,
    pub period: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = erased_subjects, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ErasedSubject {
    pub id: String,
    pub municipality_id: String,
    pub klantmanager_id: Option<String>,
    pub registered_on: NaiveDate,
    pub erased_on: NaiveDate,
    pub status: String,
    pub outflow_reason: Option<String>,
    pub outflow_date: Option<NaiveDate>,
    pub ladder_history: String,
    pub contact_dates: String,
    pub client_group_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = municipality_profiles, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct MunicipalityProfile {
    pub municipality_id: String,
    pub display_name: String,
    pub logo_url: Option<String>,
    pub colour: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_address: String,
    pub contact_hours: String,
    pub privacy_statement: String,
    pub accessibility_statement: String,
    pub updated_at: NaiveDateTime,
}

/// A self-registration (aanmelden) until a beheerder assigns a klantmanager; see the migration
/// `2026-12-10-000001_inwoners`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = registrations, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct Registration {
    pub id: String,
    pub municipality_id: String,
    pub user_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub birth_date: NaiveDate,
    pub pc4: String,
    pub education_level: String,
    pub benefit_type: crate::domain::BenefitType,
    pub hours_min: i32,
    pub hours_max: i32,
    pub message: String,
    pub consent_matching: bool,
    pub consent_anonymous_profile: bool,
    pub consent_email: bool,
    /// onbevestigd (e-mail not confirmed yet), aangemeld, toegewezen.
    pub status: String,
    /// A key, never exported.
    #[serde(skip)]
    pub confirm_token_hash: Option<String>,
    pub confirm_expires_at: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub candidate_id: Option<String>,
    pub assigned_by: Option<String>,
    pub assigned_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A goal of a person's plan (Mijn plan).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[diesel(table_name = plan_goals, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct PlanGoal {
    pub id: String,
    pub candidate_id: String,
    pub what: String,
    /// kandidaat, klantmanager or samen.
    pub who: String,
    pub due_on: Option<NaiveDate>,
    /// open, gedaan or vervallen.
    pub status: String,
    /// The person's own comment.
    pub comment: String,
    pub done_at: Option<NaiveDateTime>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A skill the person suggests (ESCO), waiting for the klantmanager's decision.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = skill_suggestions, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct SkillSuggestion {
    pub id: String,
    pub candidate_id: String,
    pub skill_id: String,
    /// voorgesteld, bevestigd or afgewezen.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
}
