//! The query API on both engines: numbered parameters, nulls, rows read back by name, errors
//! that name the column, transactions that roll back when dropped, and SQLite's migrations.

use platform::db::{self, Database, Engine};

use crate::{count, databases};

async fn with_table(database: &Database) {
    db::query("CREATE TABLE IF NOT EXISTS pairs (name TEXT PRIMARY KEY, count BIGINT, note TEXT)")
        .execute(database.writer())
        .await
        .unwrap();
}

#[tokio::test]
async fn parameters_bind_by_number_even_out_of_order_and_nulls_round_trip() {
    for database in databases().await {
        with_table(&database).await;
        // `$2` before `$1`, and `$1` twice: SQLite numbers `$N` by first use unless told.
        db::query("INSERT INTO pairs (count, name, note) VALUES ($2, $1, $1 || '!')")
            .bind("first")
            .bind(7_i64)
            .execute(database.writer())
            .await
            .unwrap();
        db::query("INSERT INTO pairs (name, count, note) VALUES ($1, $2, $3)")
            .bind("second")
            .bind(None::<i64>)
            .bind(None::<String>)
            .execute(database.writer())
            .await
            .unwrap();
        let rows = db::query("SELECT name, count, note FROM pairs ORDER BY name")
            .fetch_all(database.pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].try_get::<String, _>("name").unwrap(), "first");
        assert_eq!(rows[0].try_get::<i64, _>("count").unwrap(), 7);
        assert_eq!(rows[0].try_get::<String, _>(2).unwrap(), "first!");
        assert_eq!(rows[1].try_get::<Option<i64>, _>("count").unwrap(), None);
        assert_eq!(rows[1].try_get::<Option<String>, _>("note").unwrap(), None);
    }
}

#[tokio::test]
async fn reading_a_column_wrongly_names_the_column_and_what_it_holds() {
    for database in databases().await {
        with_table(&database).await;
        db::query("INSERT INTO pairs (name, count) VALUES ($1, $2)")
            .bind("a")
            .bind(1_i64)
            .execute(database.writer())
            .await
            .unwrap();
        let row = db::query("SELECT name, count FROM pairs")
            .fetch_one(database.pool())
            .await
            .unwrap();
        let error = row.try_get::<i64, _>("name").unwrap_err().to_string();
        assert!(
            error.contains("`name`") && error.contains("text"),
            "{error}"
        );
        let error = row.try_get::<i64, _>("missing").unwrap_err().to_string();
        assert!(error.contains("`missing`"), "{error}");
        let error = db::query("SELECT name FROM pairs WHERE count = $2")
            .bind(1_i64)
            .fetch_all(database.pool())
            .await
            .unwrap_err();
        // SQLite counts the bound values; PostgreSQL refuses the statement itself.
        if database.engine() == Engine::Sqlite {
            assert!(error.to_string().contains("$2"), "{error}");
        }
        let none = db::query("SELECT name FROM pairs WHERE name = $1")
            .bind("b")
            .fetch_one(database.pool())
            .await
            .unwrap_err();
        assert!(matches!(none, db::Error::RowNotFound), "{none}");
    }
}

#[tokio::test]
async fn a_dropped_transaction_rolls_back_and_its_connection_serves_the_next() {
    for database in databases().await {
        with_table(&database).await;
        {
            let mut transaction = database.begin_write().await.unwrap();
            db::query("INSERT INTO pairs (name) VALUES ($1)")
                .bind("dropped")
                .execute(&mut *transaction)
                .await
                .unwrap();
        }
        let mut transaction = database.begin_write().await.unwrap();
        let inserted = db::query("INSERT INTO pairs (name) VALUES ($1)")
            .bind("kept")
            .execute(&mut *transaction)
            .await
            .unwrap();
        assert_eq!(inserted.rows_affected(), 1);
        transaction.commit().await.unwrap();
        let names: Vec<String> = db::query("SELECT name FROM pairs ORDER BY name")
            .fetch_all(database.pool())
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("name").unwrap())
            .collect();
        assert_eq!(names, ["kept"]);
    }
}

#[tokio::test]
async fn a_read_transaction_sees_one_snapshot_until_it_ends() {
    for database in databases().await {
        with_table(&database).await;
        let pairs = "SELECT COUNT(*) FROM pairs";
        let mut read = database.begin_read().await.unwrap();
        let before = count(pairs, &mut *read).await;
        db::query("INSERT INTO pairs (name) VALUES ('meanwhile')")
            .execute(database.writer())
            .await
            .unwrap();
        let during = count(pairs, &mut *read).await;
        assert_eq!(during, before, "a write committed meanwhile is not seen");
        read.commit().await.unwrap();
        let after = count(pairs, database.pool()).await;
        assert_eq!(after, before + 1);
    }
}

#[tokio::test]
async fn a_duplicate_key_is_a_unique_violation_on_both_engines() {
    for database in databases().await {
        with_table(&database).await;
        let insert = || db::query("INSERT INTO pairs (name) VALUES ('twice')");
        insert().execute(database.writer()).await.unwrap();
        let error = insert().execute(database.writer()).await.unwrap_err();
        assert!(db::is_unique_violation(&error), "{error}");
        let other = db::query("INSERT INTO nowhere (name) VALUES ('x')")
            .execute(database.writer())
            .await
            .unwrap_err();
        assert!(!db::is_unique_violation(&other), "{other}");
    }
}

#[tokio::test]
async fn a_write_through_the_read_pool_is_refused_on_sqlite() {
    for database in databases().await {
        if database.engine() != Engine::Sqlite {
            continue;
        }
        with_table(&database).await;
        let error = db::query("INSERT INTO pairs (name) VALUES ('read')")
            .execute(database.pool())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("readonly"), "{error}");
    }
}

#[tokio::test]
async fn sqlite_migrations_apply_once_and_a_changed_one_is_refused() {
    let folder = std::env::temp_dir().join(format!(
        "emporium-migrate-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let migrations = folder.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let first = migrations.join("0001_things.sql");
    std::fs::write(&first, "CREATE TABLE things (id TEXT PRIMARY KEY);").unwrap();
    let url = format!("sqlite://{}/migrate.db", folder.display());
    let migrator = sqlx::migrate::Migrator::new(migrations.as_path())
        .await
        .unwrap();
    let postgres = sqlx::migrate::Migrator::new(migrations.as_path())
        .await
        .unwrap();

    let database = Database::open(&url, &migrator, &postgres).await.unwrap();
    db::query("INSERT INTO things (id) VALUES ('kept')")
        .execute(database.writer())
        .await
        .unwrap();
    // Applying again changes nothing: the table and its row are still there.
    database.migrate(&migrator, &postgres).await.unwrap();
    assert_eq!(
        count("SELECT COUNT(*) FROM things", database.pool()).await,
        1
    );

    std::fs::write(&first, "CREATE TABLE things (id TEXT);").unwrap();
    let changed = sqlx::migrate::Migrator::new(migrations.as_path())
        .await
        .unwrap();
    let error = format!(
        "{:#}",
        database.migrate(&changed, &postgres).await.unwrap_err()
    );
    assert!(error.contains("changed after it was applied"), "{error}");
    let _ = std::fs::remove_dir_all(&folder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_from_many_tasks_at_once_all_land_and_survive_a_reopen() {
    for engine in test_support::engines() {
        let url = test_support::fresh_database_url(engine).await.unwrap();
        let database = Database::connect(&url).await.unwrap();
        with_table(&database).await;
        // Transactions, statements that commit by themselves, and reads, all at once: on
        // SQLite the commits share the log's syncs, and each still returns only once durable.
        let tasks: Vec<_> = (0..48)
            .map(|index| {
                let database = database.clone();
                tokio::spawn(async move {
                    let name = format!("task-{index}");
                    if index % 2 == 0 {
                        let mut transaction = database.begin_write().await.unwrap();
                        db::query("INSERT INTO pairs (name, count) VALUES ($1, $2)")
                            .bind(&name)
                            .bind(index)
                            .execute(&mut *transaction)
                            .await
                            .unwrap();
                        transaction.commit().await.unwrap();
                    } else {
                        db::query("INSERT INTO pairs (name, count) VALUES ($1, $2)")
                            .bind(&name)
                            .bind(index)
                            .execute(database.writer())
                            .await
                            .unwrap();
                    }
                    // What was committed is there for the next read.
                    let row = db::query("SELECT count FROM pairs WHERE name = $1")
                        .bind(&name)
                        .fetch_one(database.pool())
                        .await
                        .unwrap();
                    assert_eq!(row.try_get::<i64, _>("count").unwrap(), index);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        database.close().await;
        drop(database);

        let reopened = Database::connect(&url).await.unwrap();
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM pairs WHERE name LIKE 'task-%'",
                reopened.pool()
            )
            .await,
            48
        );
    }
}
