//! The embedded SQLite backend: a file in the data directory, WAL journal,
//! foreign keys on. Implements every `orgsso_store` trait with runtime-checked
//! queries: their text, the row decoding and the trait implementations are
//! shared with the PostgreSQL backend through `orgsso-store-sql`, and
//! `dialect.rs` holds what differs. The conformance suite in `tests/`
//! proves the SQL.

use async_trait::async_trait;
use orgsso_store::{Store, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

mod dialect;
mod error;
#[path = "../../store-sql/impls/mod.rs"]
mod impls;

use error::{backend, db};
use orgsso_store_sql::rows;

/// The store the shared trait implementations are compiled for.
type Backend = SqliteStore;
/// The database they run on.
type Db = Sqlite;

/// Connections waiting for the write lock give up after this long.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections serve concurrent reads.
const MAX_CONNECTIONS: u32 = 8;

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`, e.g.
    /// `sqlite:///var/lib/orgsso/orgsso.db` or `sqlite://orgsso.db`.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable across application crashes; WAL keeps it consistent on power loss.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Ok(SqliteStore { pool })
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!().run(&self.pool).await.map_err(backend)?;
        self.canonicalize_emails().await
    }

    /// A write transaction that takes SQLite's write lock up front.
    ///
    /// A deferred `BEGIN` that reads and then writes can fail with
    /// `SQLITE_BUSY` without waiting when another connection wrote in between,
    /// and two such transactions could both count two admins and each demote
    /// one. `BEGIN IMMEDIATE` queues writers behind the busy timeout instead,
    /// so the reads that guard a write (the admin count) see the latest
    /// committed state and nobody else can write until we commit.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
