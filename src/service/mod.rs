//! Services: the rules and the writes that API handlers, pages, jobs and the CLI share. Each
//! takes a connection (inside the caller's transaction where it writes) and returns plain data.

pub mod accounts;
pub mod candidates;
pub mod caseload;
pub mod employer;
pub mod esco;
pub mod matches;
pub mod me;
pub mod monitor;
pub mod organisations;
pub mod placements;
pub mod profile_views;
pub mod records;
pub mod sessions;
pub mod settings;
pub mod sroi;
pub mod tasks;
pub mod throttle;

use crate::auth::CurrentUser;
use crate::refdata::RefData;

/// What a service call knows of its request: who acts (and through which channel), the reference
/// data, and the Dutch date.
pub struct Ctx<'a> {
    pub user: &'a CurrentUser,
    pub refdata: &'a RefData,
    pub today: chrono::NaiveDate,
}

impl<'a> Ctx<'a> {
    pub fn new(user: &'a CurrentUser, refdata: &'a RefData) -> Ctx<'a> {
        Ctx { user, refdata, today: crate::clock::today() }
    }
}
