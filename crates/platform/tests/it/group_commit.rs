//! Group commit: concurrent writes all land, and one that fails does not take the others down.

use futures_util::future::{BoxFuture, join_all};
use platform::db::GroupCommit;
use platform::db::{self, Transaction};

use crate::{count, databases};

fn insert<'t>(
    transaction: &'t mut Transaction,
    id: &'t String,
) -> BoxFuture<'t, Result<(), db::Error>> {
    Box::pin(async move {
        db::query("INSERT INTO orders (id) VALUES ($1)")
            .bind(id)
            .execute(&mut **transaction)
            .await?;
        Ok(())
    })
}

#[tokio::test]
async fn concurrent_writes_all_commit_and_a_failing_one_fails_alone() {
    for database in databases().await {
        let writer = GroupCommit::start(database.clone(), insert);
        // 200 writes at once, one of them a duplicate key that must fail.
        let mut ids: Vec<String> = (0..200).map(|index| format!("order-{index}")).collect();
        ids.push("order-7".to_owned());
        let results = join_all(ids.iter().map(|id| writer.submit(id.clone()))).await;
        let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failures.len(), 1, "only the duplicate fails: {failures:?}");
        assert!(
            failures[0].to_lowercase().contains("unique"),
            "the error names the problem: {}",
            failures[0]
        );
        let committed = count("SELECT COUNT(*) FROM orders", database.pool()).await;
        assert_eq!(committed, 200, "every other write committed");
    }
}
