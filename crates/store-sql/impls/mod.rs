//! The store trait implementations, written once for both backends.
//!
//! Not a module of `orgsso-store-sql`: each backend crate compiles this
//! directory as its own `impls` module (`#[path]`), against its own pool, so
//! sqlx checks every call with that database's concrete types. The files
//! name the backend through the crate's `Backend` and `Db` aliases, take
//! what the dialects do differently from its `dialect` module, and their SQL
//! from `orgsso_store_sql`.

mod audit;
mod canonical_emails;
mod insight;
mod orgs;
mod repos;
mod sessions;
mod sso;
mod tokens;
mod users;
