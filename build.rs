//! Rebuild when a migration is added or changed: they are embedded in the binary
//! (`diesel_migrations::embed_migrations!`), and cargo does not watch that folder by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
