//! What the SQLite and PostgreSQL stores share: the text of every query both
//! run, the decoding of their rows into records, the mapping of their
//! errors, and (in `impls/`) the store trait implementations themselves.
//! Each backend crate keeps only what its dialect does differently:
//! connecting, migrations, locking, naming a unique violation.
//!
//! `impls/` is not a module of this crate: each backend crate compiles it as
//! its own (see `impls/mod.rs`), so the method bodies are written once with
//! no generic bounds or `sqlx::Any` in between.
//!
//! Queries are written once, with `$N` placeholders and `TRUE`/`FALSE`:
//! PostgreSQL's own syntax, which SQLite reads too (`$N` binds the N-th
//! argument, however often and in whatever order it appears; the boolean
//! keywords since SQLite 3.23). A query whose text must differ takes the
//! difference as a macro argument, so the rest is still written once.

mod error;
pub mod rows;

pub mod audit;
pub mod insight;
pub mod orgs;
pub mod repos;
pub mod sessions;
pub mod sso;
pub mod tokens;
pub mod users;

pub use error::{backend, corrupt, db, found, Dialect};
