//! The only code that touches the processor's database: payments, idempotency keys, the ledger.
//! Every change claims its idempotency key first, which also takes the write lock.

use events::checkout::PaymentChanged;
use events::{Envelope, Event};
use platform::db::{self, Database, Row, Transaction};
use serde::{Deserialize, Serialize};

use crate::domain::{self, Operation, State};
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A payment as the processor answers with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: String,
    pub order_id: String,
    pub amount: i64,
    pub currency: String,
    pub state: State,
    pub card_last4: String,
    pub decline_reason: String,
}

/// What a request claimed under its idempotency key.
pub(crate) enum Claim {
    /// The key is new: go on, in this transaction.
    New(Transaction),
    /// The same request came before: this was the answer.
    Replay(Payment),
}

#[derive(Clone, Debug)]
pub(crate) struct Store {
    database: Database,
}

impl Store {
    pub(crate) async fn open(database_url: &str) -> anyhow::Result<Store> {
        let database =
            Database::open(database_url, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
        Ok(Store { database })
    }

    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    /// The answer already given to `key`, if the same request (`fingerprint`) came before.
    pub(crate) async fn replay(
        &self,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Payment>, Error> {
        let row = db::query(
            "SELECT fingerprint, response FROM idempotency_keys WHERE key = $1 AND response <> ''",
        )
        .bind(key)
        .fetch_optional(self.database.pool())
        .await?;
        row.map(|row| stored_answer(&row, key, fingerprint))
            .transpose()
    }

    /// Opens the transaction of a request and claims its key in it.
    pub(crate) async fn claim(
        &self,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> Result<Claim, Error> {
        let mut transaction = self.database.begin_write().await?;
        let claimed = db::query(
            "INSERT INTO idempotency_keys (key, fingerprint, payment_id, response, created_at) VALUES ($1, $2, '', '', $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if claimed.rows_affected() == 1 {
            return Ok(Claim::New(transaction));
        }
        let row = db::query("SELECT fingerprint, response FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Claim::Replay(stored_answer(&row, key, fingerprint)?))
    }

    /// Records a new payment (authorized or declined) with its ledger entries and event, and
    /// keeps it as the answer to `key`. The vault's card under `card_token` is tied to an
    /// authorized payment, and erased with a declined one.
    pub(crate) async fn insert(
        &self,
        mut transaction: Transaction,
        key: &str,
        payment: &Payment,
        card_token: Option<&str>,
        now: i64,
    ) -> Result<Payment, Error> {
        db::query(
            "INSERT INTO payments (id, order_id, amount_minor, currency, state, card_last4, decline_reason, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&payment.id)
        .bind(&payment.order_id)
        .bind(payment.amount)
        .bind(&payment.currency)
        .bind(payment.state.as_str())
        .bind(&payment.card_last4)
        .bind(&payment.decline_reason)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if payment.state == State::Authorized {
            post(
                &mut transaction,
                payment,
                &domain::authorization_entries(payment.amount),
                now,
            )
            .await?;
        }
        if let Some(token) = card_token {
            let statement = match payment.state {
                State::Authorized => {
                    db::query("UPDATE vault_cards SET payment_id = $2 WHERE token = $1")
                        .bind(token)
                        .bind(&payment.id)
                }
                _ => db::query("DELETE FROM vault_cards WHERE token = $1").bind(token),
            };
            statement.execute(&mut *transaction).await?;
        }
        finish(transaction, key, payment, true, now).await?;
        Ok(payment.clone())
    }

    /// Applies `operation` to a payment, as the answer to `key`.
    pub(crate) async fn apply(
        &self,
        mut transaction: Transaction,
        key: &str,
        payment_id: &str,
        operation: Operation,
        now: i64,
    ) -> Result<Payment, Error> {
        let row = db::query(SELECT_PAYMENT)
            .bind(payment_id)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or_else(|| Error::UnknownPayment(payment_id.to_owned()))?;
        let mut payment = payment_from_row(&row)?;
        let changed = match operation.applies_to(payment.state) {
            Ok(true) => {
                payment.state = operation.target();
                db::query("UPDATE payments SET state = $2, updated_at = $3 WHERE id = $1")
                    .bind(payment_id)
                    .bind(payment.state.as_str())
                    .bind(now)
                    .execute(&mut *transaction)
                    .await?;
                // A captured or voided payment needs its card no more.
                db::query("DELETE FROM vault_cards WHERE payment_id = $1")
                    .bind(payment_id)
                    .execute(&mut *transaction)
                    .await?;
                post(
                    &mut transaction,
                    &payment,
                    &operation.entries(payment.amount),
                    now,
                )
                .await?;
                true
            }
            Ok(false) => false,
            Err(state) => {
                return Err(Error::WrongState {
                    id: payment_id.to_owned(),
                    state: state.as_str(),
                    operation: operation.as_str(),
                });
            }
        };
        finish(transaction, key, &payment, changed, now).await?;
        Ok(payment)
    }

    pub(crate) async fn get(&self, payment_id: &str) -> Result<Option<Payment>, Error> {
        let row = db::query(SELECT_PAYMENT)
            .bind(payment_id)
            .fetch_optional(self.database.pool())
            .await?;
        row.map(|row| payment_from_row(&row)).transpose()
    }

    /// Every payment with when it was made and last changed (Unix seconds), by id: what the
    /// data product's export reads.
    pub(crate) async fn every(&self) -> Result<Vec<(Payment, i64, i64)>, Error> {
        let rows = db::query(
            "SELECT id, order_id, amount_minor, currency, state, card_last4, decline_reason, created_at, updated_at \
             FROM payments ORDER BY id",
        )
        .fetch_all(self.database.pool())
        .await?;
        let dated = |row: &Row| -> Result<(Payment, i64, i64), Error> {
            let payment = payment_from_row(row)?;
            Ok((
                payment,
                row.try_get("created_at")?,
                row.try_get("updated_at")?,
            ))
        };
        rows.iter().map(dated).collect()
    }

    /// Every payment of an order, oldest first.
    pub(crate) async fn for_order(&self, order_id: &str) -> Result<Vec<Payment>, Error> {
        let rows = db::query(
            "SELECT id, order_id, amount_minor, currency, state, card_last4, decline_reason FROM payments \
             WHERE order_id = $1 ORDER BY created_at, id",
        )
        .bind(order_id)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter().map(payment_from_row).collect()
    }

    /// The sum of every ledger entry, per currency: zero when the books balance.
    pub async fn ledger_totals(&self) -> Result<Vec<(String, i64)>, Error> {
        let rows = db::query("SELECT currency, CAST(SUM(amount_minor) AS BIGINT) AS total FROM ledger_entries GROUP BY currency ORDER BY currency")
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("currency")?, row.try_get::<i64, _>("total")?)))
            .collect()
    }

    /// The balance of each account for one payment.
    pub async fn balances(&self, payment_id: &str) -> Result<Vec<(String, i64)>, Error> {
        let rows = db::query(
            "SELECT account, CAST(SUM(amount_minor) AS BIGINT) AS total FROM ledger_entries WHERE payment_id = $1 GROUP BY account ORDER BY account",
        )
        .bind(payment_id)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("account")?, row.try_get::<i64, _>("total")?)))
            .collect()
    }

    /// Keeps a sealed card under `token` until an authorization uses it.
    pub(crate) async fn keep_card(
        &self,
        token: &str,
        sealed: &str,
        card_last4: &str,
        now: i64,
    ) -> Result<(), Error> {
        db::query(
            "INSERT INTO vault_cards (token, sealed, card_last4, payment_id, created_at) VALUES ($1, $2, $3, '', $4)",
        )
        .bind(token)
        .bind(sealed)
        .bind(card_last4)
        .bind(now)
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// The sealed card kept under `token`, if any.
    pub(crate) async fn kept_card(&self, token: &str) -> Result<Option<String>, Error> {
        let row = db::query("SELECT sealed FROM vault_cards WHERE token = $1")
            .bind(token)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(row.map(|row| row.try_get("sealed")).transpose()?)
    }

    /// How many cards the vault keeps.
    pub async fn kept_cards(&self) -> Result<i64, Error> {
        let row = db::query("SELECT COUNT(*) AS kept FROM vault_cards")
            .fetch_one(self.database.pool())
            .await?;
        Ok(row.try_get("kept")?)
    }

    /// Erases cards kept since before `before` whose payment was never captured or voided
    /// (abandoned checkouts, authorizations that lapsed).
    pub(crate) async fn forget_cards(&self, before: i64) -> Result<u64, Error> {
        let result = db::query("DELETE FROM vault_cards WHERE created_at < $1")
            .bind(before)
            .execute(self.database.writer())
            .await?;
        Ok(result.rows_affected())
    }

    /// Forgets idempotency keys made before `before`.
    pub(crate) async fn forget_keys(&self, before: i64) -> Result<u64, Error> {
        let result = db::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before)
            .execute(self.database.writer())
            .await?;
        Ok(result.rows_affected())
    }
}

const SELECT_PAYMENT: &str = "SELECT id, order_id, amount_minor, currency, state, card_last4, decline_reason FROM payments WHERE id = $1";

fn payment_from_row(row: &Row) -> Result<Payment, Error> {
    Ok(Payment {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        amount: row.try_get("amount_minor")?,
        currency: row.try_get("currency")?,
        state: {
            let state: String = row.try_get("state")?;
            State::parse(&state).ok_or_else(|| {
                Error::Unexpected(anyhow::anyhow!(
                    "payment state `{state}` is not one this service writes"
                ))
            })?
        },
        card_last4: row.try_get("card_last4")?,
        decline_reason: row.try_get("decline_reason")?,
    })
}

fn stored_answer(row: &Row, key: &str, fingerprint: &str) -> Result<Payment, Error> {
    let stored_fingerprint: String = row.try_get("fingerprint")?;
    if stored_fingerprint != fingerprint {
        return Err(Error::KeyReused(key.to_owned()));
    }
    let response: String = row.try_get("response")?;
    serde_json::from_str(&response)
        .map_err(|error| Error::Unexpected(anyhow::anyhow!("stored answer for {key}: {error}")))
}

/// Writes a movement's entries in one statement; they sum to zero by construction (see
/// `domain`).
async fn post(
    transaction: &mut Transaction,
    payment: &Payment,
    entries: &[(&str, i64)],
    now: i64,
) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    // $1 to $4 are shared; each entry adds its id, account and amount.
    let rows: Vec<String> = (0..entries.len())
        .map(|index| {
            let first = 5 + index * 3;
            format!("(${first}, $1, $2, ${}, ${}, $3, $4)", first + 1, first + 2)
        })
        .collect();
    // nosemgrep: emporium-sql-from-format -- the SQL text takes only placeholders.
    let statement = format!(
        "INSERT INTO ledger_entries (id, movement_id, payment_id, account, amount_minor, currency, created_at) VALUES {}",
        rows.join(", ")
    );
    // Only placeholders are formatted in; every value is bound.
    let mut query = db::query(statement)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&payment.id)
        .bind(&payment.currency)
        .bind(now);
    for (account, amount) in entries {
        query = query
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(*account)
            .bind(*amount);
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

/// Keeps the answer under its key, writes the event when the payment `changed`, and commits.
async fn finish(
    mut transaction: Transaction,
    key: &str,
    payment: &Payment,
    changed: bool,
    now: i64,
) -> Result<(), Error> {
    let response =
        serde_json::to_string(payment).map_err(|error| Error::Unexpected(error.into()))?;
    db::query("UPDATE idempotency_keys SET payment_id = $2, response = $3 WHERE key = $1")
        .bind(key)
        .bind(&payment.id)
        .bind(response)
        .execute(&mut *transaction)
        .await?;
    if !changed {
        transaction.commit().await?;
        return Ok(());
    }
    let event = PaymentChanged {
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
        state: payment.state.as_str().to_owned(),
        amount_minor_units: payment.amount,
        currency: payment.currency.clone(),
    };
    let envelope = Envelope::new(uuid::Uuid::now_v7().to_string(), &event, now * 1000);
    platform::outbox::append(&mut transaction, PaymentChanged::SUBJECT, envelope).await?;
    transaction.commit().await?;
    Ok(())
}
