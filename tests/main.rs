//! The one integration-test binary. Runs on SQLite by default and on PostgreSQL when
//! TEST_DATABASE_URL=postgres://... is set (see .ci/run).

mod common;

mod aanmelden;
mod api_auth;
mod api_authz;
mod api_crud;
mod api_validation;
mod bench;
mod browser;
mod cli;
mod esco;
mod faults;
mod import;
mod inzage;
mod klantgroepen;
mod layers;
mod matching;
mod monitor;
mod oidc;
mod operate;
mod operation;
mod pages;
mod search;
mod wishes;
mod workflow;
