// The cases of semgrep/emporium.yaml: `semgrep --test semgrep/` checks that each rule finds
// the lines marked `ruleid` and passes those marked `ok`. Never compiled.

async fn sql(database: &Database, sku: &str, table: &str) {
    // ruleid: emporium-sql-from-format
    db::query(format!("SELECT * FROM products WHERE sku = '{sku}'"));
    // ruleid: emporium-sql-from-format
    db::query(&format!("DELETE FROM {table}"));
    // ruleid: emporium-sql-from-format
    let sql = format!("SELECT * FROM products WHERE sku = '{sku}'");
    let rows = db::query(sql).fetch_all(database.pool()).await;
    // ruleid: emporium-sql-from-format
    writer.execute_batch(&format!("PRAGMA user_version = {sku}"));
    // ok: emporium-sql-from-format
    db::query("SELECT * FROM products WHERE sku = $1").bind(sku);
}

fn logs(password: &str, token: &str, user: &User) {
    // ruleid: emporium-secret-in-log
    tracing::info!(password, "signed in");
    // ruleid: emporium-secret-in-log
    tracing::debug!(token = %token, "refreshed");
    // ruleid: emporium-secret-in-log
    tracing::warn!(client_secret = ?user.client_secret, "rotated");
    // ok: emporium-secret-in-log
    tracing::info!(user = %user.id, "the token was refreshed");
}

fn parse(body: &str, header: &str) -> Order {
    // ruleid: emporium-unwrap-on-input
    let order: Order = serde_json::from_str(body).unwrap();
    // ruleid: emporium-unwrap-on-input
    let limit: u32 = header.parse().expect("a number");
    // ok: emporium-unwrap-on-input
    let limit: u32 = header.parse().unwrap_or(50);
    order
}

mod tests {
    fn fixture(json: &str) -> Order {
        // ok: emporium-unwrap-on-input
        serde_json::from_str(json).unwrap()
    }
}
