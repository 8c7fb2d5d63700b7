//! Platform tests against real databases: the transactional outbox, its relay and the inbox,
//! group commit, and the JetStream bus when `EMPORIUM_TEST_NATS_URL` is set,
//! on SQLite and, when `EMPORIUM_TEST_POSTGRES_URL` is set, PostgreSQL.

mod bus_nats;
mod group_commit;
mod outbox;

use platform::db::Database;

/// A fresh SQLite database, and a fresh PostgreSQL one when the server is configured; each
/// with the outbox tables and an `orders (id)` table.
pub async fn databases() -> Vec<Database> {
    sqlx::any::install_default_drivers();
    let mut urls = vec![format!(
        "sqlite://{}/outbox.db",
        std::env::temp_dir()
            .join(format!("emporium-outbox-{}", uuid::Uuid::new_v4().simple()))
            .display()
    )];
    match std::env::var("EMPORIUM_TEST_POSTGRES_URL") {
        Ok(server) if !server.is_empty() => {
            let name = format!("emporium_test_{}", uuid::Uuid::new_v4().simple());
            let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
                .await
                .unwrap();
            sqlx::Executor::execute(
                &mut connection,
                sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
            )
            .await
            .unwrap();
            let base = &server[..server.rfind('/').unwrap()];
            urls.push(format!("{base}/{name}"));
        }
        _ => eprintln!(
            "EMPORIUM_TEST_POSTGRES_URL is not set: the PostgreSQL variant of this test is skipped"
        ),
    }
    let mut databases = Vec::new();
    for url in urls {
        let database = Database::connect(&url).await.unwrap();
        platform::outbox::install(&database).await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)")
            .execute(database.pool())
            .await
            .unwrap();
        databases.push(database);
    }
    databases
}
