//! The PostgreSQL backend, for several stateless instances sharing one
//! database. Implements every `orgsso_store` trait with runtime-checked
//! queries: their text, the row decoding and the trait implementations are
//! shared with the SQLite backend through `orgsso-store-sql`, and
//! `dialect.rs` holds what differs. The conformance suite in `tests/`
//! proves the SQL.

use async_trait::async_trait;
use orgsso_core::{Entropy, OsEntropy};
use orgsso_store::{Store, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};
use std::str::FromStr;

mod dialect;
mod error;
#[path = "../../store-sql/impls/mod.rs"]
mod impls;

use error::{backend, db};
use orgsso_store_sql::rows;

/// The store the shared trait implementations are compiled for.
type Backend = PostgresStore;
/// The database they run on.
type Db = Postgres;

const MAX_CONNECTIONS: u32 = 10;
/// Tests open one pool per case; keep each small so parallel cases fit in
/// the server's connection limit.
const TEST_MAX_CONNECTIONS: u32 = 4;

#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url`, e.g. `postgres://orgsso@db.internal/orgsso`.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let options = PgConnectOptions::from_str(url).map_err(backend)?;
        Self::with_pool(options, MAX_CONNECTIONS).await
    }

    /// For tests: creates a schema with a random name in the database at
    /// `url` and connects so that every pooled connection works in it. Each
    /// test gets an empty database of its own without creating databases.
    /// The schema is left behind; it is cheap and helps debug a failure.
    pub async fn connect_fresh_schema(url: &str) -> StoreResult<PostgresStore> {
        let base = PgConnectOptions::from_str(url).map_err(backend)?;
        let schema = create_fresh_schema(&base).await?;
        let options = base.options([("search_path", schema.as_str())]);
        Self::with_pool(options, TEST_MAX_CONNECTIONS).await
    }

    /// For tests that run `orgsso` processes: creates an empty schema and
    /// returns `url` with it as the search path (`options[search_path]=…`),
    /// which `--database-url` accepts.
    pub async fn fresh_schema_url(url: &str) -> StoreResult<String> {
        let base = PgConnectOptions::from_str(url).map_err(backend)?;
        let schema = create_fresh_schema(&base).await?;
        let sep = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{sep}options[search_path]={schema}"))
    }

    async fn with_pool(options: PgConnectOptions, max: u32) -> StoreResult<PostgresStore> {
        let pool = PgPoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await
            .map_err(db)?;
        Ok(PostgresStore { pool })
    }

    /// Applies the embedded migrations that have not run yet. Safe to call
    /// from several instances at once: sqlx holds an advisory lock meanwhile.
    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!().run(&self.pool).await.map_err(backend)?;
        self.canonicalize_emails().await
    }

    /// A READ COMMITTED transaction; methods that guard an invariant lock
    /// the row they depend on (`FOR UPDATE`) before reading.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

/// Creates a schema with a random name (`orgsso_test_…`) and returns the name.
async fn create_fresh_schema(base: &PgConnectOptions) -> StoreResult<String> {
    let suffix = OsEntropy.token();
    let schema = format!("orgsso_test_{}", &suffix.expose()[..16]);
    let mut conn = PgConnection::connect_with(base).await.map_err(db)?;
    // An identifier cannot be bound; this one is ours, [a-z0-9_] only.
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut conn)
        .await
        .map_err(db)?;
    conn.close().await.map_err(db)?;
    Ok(schema)
}
