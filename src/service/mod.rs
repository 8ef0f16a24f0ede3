//! Services: the rules and the writes that API handlers, pages, jobs and the CLI share. Each
//! takes a connection (inside the caller's transaction where it writes) and returns plain data.

pub mod placements;
pub mod profile_views;
