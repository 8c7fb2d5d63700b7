//! Platform tests against real databases: the transactional outbox, its relay and the inbox,
//! group commit, the query API, and the JetStream bus when `EMPORIUM_TEST_NATS_URL` is set,
//! on SQLite and, when `EMPORIUM_TEST_POSTGRES_URL` is set, PostgreSQL. And the negative token
//! suite (`tokens`): every kind of bad access token the shared verifier refuses.

mod bus_nats;
mod db;
mod group_commit;
mod outbox;
mod tokens;

use platform::db::Database;

/// A fresh SQLite database, and a fresh PostgreSQL one when the server is configured; each
/// with the outbox tables and an `orders (id)` table.
pub async fn databases() -> Vec<Database> {
    let mut urls = Vec::new();
    for engine in test_support::engines() {
        urls.push(test_support::fresh_database_url(engine).await.unwrap());
    }
    let mut databases = Vec::new();
    for url in urls {
        let database = Database::connect(&url).await.unwrap();
        platform::outbox::install(&database).await.unwrap();
        platform::db::query("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)")
            .execute(database.writer())
            .await
            .unwrap();
        databases.push(database);
    }
    databases
}

/// The number the first column of `sql`'s first row holds: a `SELECT COUNT(*) ...`.
pub async fn count<'e>(sql: &str, target: impl Into<platform::db::Target<'e>>) -> i64 {
    platform::db::query(sql)
        .fetch_one(target)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}
