//! The only code that touches the orders database: orders, their saga state and history.

use events::checkout::{self, OrderCompleted, OrderPlaced};
use events::{Envelope, Event};
use futures_util::future::BoxFuture;
use platform::db::{self, Database, GroupCommit, Row, Transaction};

use crate::domain::{Address, Line, State};
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const SELECT_ORDER_BY_ID: &str = "SELECT id, user_id, state, lines, total_minor, currency, address, weight_grams, \
     payment_id, shipment_id, failure_reason, created_at, updated_at, card_token FROM orders WHERE id = $1";

/// An order and its saga state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub state: State,
    pub lines: Vec<Line>,
    pub total_minor: i64,
    pub currency: String,
    pub address: Address,
    pub weight_grams: u32,
    pub payment_id: String,
    pub shipment_id: String,
    pub failure_reason: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The payments vault's token for the card this order pays with.
    pub card_token: String,
}

/// What creating an order under an idempotency key came to.
pub(crate) enum Created {
    New(Order),
    /// The key was used before, for this order, with this fingerprint.
    Existing(Order, String),
}

#[derive(Clone, Debug)]
pub(crate) struct Store {
    database: Database,
    saves: GroupCommit<Order>,
}

impl Store {
    pub(crate) async fn open(database_url: &str) -> anyhow::Result<Store> {
        let database =
            Database::open(database_url, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
        let saves = GroupCommit::start(database.clone(), write_state);
        Ok(Store { database, saves })
    }

    pub(crate) fn database(&self) -> &Database {
        &self.database
    }

    /// Records a new order under `(user, key)`, or finds the one recorded before.
    pub(crate) async fn create(
        &self,
        order: &Order,
        key: &str,
        fingerprint: &str,
    ) -> Result<Created, Error> {
        let mut transaction = self.database.begin_write().await?;
        let inserted = db::query(
            "INSERT INTO orders (id, user_id, idempotency_key, fingerprint, state, lines, total_minor, currency, address, \
             weight_grams, payment_id, shipment_id, failure_reason, created_at, updated_at, card_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', '', $11, $11, $12) \
             ON CONFLICT (user_id, idempotency_key) DO NOTHING",
        )
        .bind(&order.id)
        .bind(&order.user_id)
        .bind(key)
        .bind(fingerprint)
        .bind(order.state.as_str())
        .bind(json(&order.lines)?)
        .bind(order.total_minor)
        .bind(&order.currency)
        .bind(json(&order.address)?)
        .bind(i64::from(order.weight_grams))
        .bind(order.created_at)
        .bind(&order.card_token)
        .execute(&mut *transaction)
        .await?;
        if inserted.rows_affected() == 0 {
            let row = db::query(
                "SELECT id, fingerprint FROM orders WHERE user_id = $1 AND idempotency_key = $2",
            )
            .bind(&order.user_id)
            .bind(key)
            .fetch_one(&mut *transaction)
            .await?;
            let id: String = row.try_get("id")?;
            let fingerprint: String = row.try_get("fingerprint")?;
            let existing = find(&mut transaction, &id)
                .await?
                .ok_or_else(|| Error::UnknownOrder(id.clone()))?;
            transaction.commit().await?;
            return Ok(Created::Existing(existing, fingerprint));
        }
        // The history row came with the insert (a trigger, see migrations).
        let event = OrderPlaced {
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| checkout::Line {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                })
                .collect(),
            total_minor_units: order.total_minor,
            currency: order.currency.clone(),
        };
        platform::outbox::append(
            &mut transaction,
            OrderPlaced::SUBJECT,
            envelope(&event, order.created_at),
        )
        .await?;
        transaction.commit().await?;
        Ok(Created::New(order.clone()))
    }

    /// The order placed under `(user, key)` and the fingerprint of its request.
    pub(crate) async fn by_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<Option<(Order, String)>, Error> {
        let row = db::query(
            "SELECT id, fingerprint FROM orders WHERE user_id = $1 AND idempotency_key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(self.database.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        let fingerprint: String = row.try_get("fingerprint")?;
        Ok(self.get(&id).await?.map(|order| (order, fingerprint)))
    }

    /// Saves an order's saga state; a terminal state also publishes `OrderCompleted`.
    /// Saves the order's saga state; returns once it is committed. Saves from many sagas share
    /// a commit (see `platform::db::GroupCommit`).
    pub(crate) async fn save(&self, order: &Order) -> Result<(), Error> {
        self.saves.submit(order.clone()).await.map_err(|reason| {
            Error::Unexpected(anyhow::anyhow!("save order {}: {reason}", order.id))
        })
    }

    pub(crate) async fn get(&self, id: &str) -> Result<Option<Order>, Error> {
        let mut transaction = self.database.begin_read().await?;
        let order = find(&mut transaction, id).await?;
        transaction.commit().await?;
        Ok(order)
    }

    /// A user's orders, newest first, a page at a time: `before` is the `(created_at, id)` of the
    /// last order of the previous page.
    pub(crate) async fn for_user(
        &self,
        user_id: &str,
        before: Option<(i64, String)>,
        size: u32,
    ) -> Result<Vec<Order>, Error> {
        let rows = match before {
            None => {
                db::query("SELECT id FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2")
                    .bind(user_id)
                    .bind(i64::from(size))
                    .fetch_all(self.database.pool())
                    .await?
            }
            Some((created_at, id)) => {
                db::query(
                    "SELECT id FROM orders WHERE user_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                     ORDER BY created_at DESC, id DESC LIMIT $4",
                )
                .bind(user_id)
                .bind(created_at)
                .bind(id)
                .bind(i64::from(size))
                .fetch_all(self.database.pool())
                .await?
            }
        };
        let mut orders = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            orders.extend(self.get(&id).await?);
        }
        Ok(orders)
    }

    /// Every order, by id: what the data product's export reads.
    pub(crate) async fn every(&self) -> Result<Vec<Order>, Error> {
        let every = SELECT_ORDER_BY_ID.replace(" WHERE id = $1", " ORDER BY id");
        let rows = db::query(every).fetch_all(self.database.pool()).await?;
        rows.iter().map(order_from_row).collect()
    }

    /// Orders whose saga has not finished, oldest first.
    pub(crate) async fn unfinished(&self, unchanged_since: i64) -> Result<Vec<Order>, Error> {
        let rows = db::query("SELECT id FROM orders WHERE state NOT IN ('confirmed', 'failed') AND updated_at <= $1 ORDER BY created_at, id")
            .bind(unchanged_since)
            .fetch_all(self.database.pool())
            .await?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in &rows {
            orders.extend(self.get(&row.try_get::<String, _>("id")?).await?);
        }
        Ok(orders)
    }

    /// The states an order went through, in order.
    pub(crate) async fn states(&self, id: &str) -> Result<Vec<State>, Error> {
        let rows =
            db::query("SELECT state FROM order_states WHERE order_id = $1 ORDER BY position")
                .bind(id)
                .fetch_all(self.database.pool())
                .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                State::parse(&state).ok_or_else(|| {
                    Error::Unexpected(anyhow::anyhow!("stored order state `{state}`"))
                })
            })
            .collect()
    }
}

async fn find(transaction: &mut Transaction, id: &str) -> Result<Option<Order>, Error> {
    let row = db::query(SELECT_ORDER_BY_ID)
        .bind(id)
        .fetch_optional(&mut **transaction)
        .await?;
    row.map(|row| order_from_row(&row)).transpose()
}

fn order_from_row(row: &Row) -> Result<Order, Error> {
    let corrupt = |what: &str| Error::Unexpected(anyhow::anyhow!("stored order has a bad {what}"));
    let state: String = row.try_get("state")?;
    let lines: String = row.try_get("lines")?;
    let address: String = row.try_get("address")?;
    Ok(Order {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        state: State::parse(&state).ok_or_else(|| corrupt("state"))?,
        lines: serde_json::from_str(&lines).map_err(|_| corrupt("line list"))?,
        total_minor: row.try_get("total_minor")?,
        currency: row.try_get("currency")?,
        address: serde_json::from_str(&address).map_err(|_| corrupt("address"))?,
        weight_grams: u32::try_from(row.try_get::<i64, _>("weight_grams")?)
            .map_err(|_| corrupt("weight"))?,
        payment_id: row.try_get("payment_id")?,
        shipment_id: row.try_get("shipment_id")?,
        failure_reason: row.try_get("failure_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        card_token: row.try_get("card_token")?,
    })
}

fn write_state<'t>(
    transaction: &'t mut Transaction,
    order: &'t Order,
) -> BoxFuture<'t, Result<(), Error>> {
    Box::pin(save_in(transaction, order))
}

async fn save_in(transaction: &mut Transaction, order: &Order) -> Result<(), Error> {
    db::query(
        "UPDATE orders SET state = $2, payment_id = $3, shipment_id = $4, failure_reason = $5, updated_at = $6 WHERE id = $1",
    )
    .bind(&order.id)
    .bind(order.state.as_str())
    .bind(&order.payment_id)
    .bind(&order.shipment_id)
    .bind(&order.failure_reason)
    .bind(order.updated_at)
    .execute(&mut **transaction)
    .await?;
    // The history row came with the update (a trigger, see migrations).
    if order.state.is_terminal() {
        let event = OrderCompleted {
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            confirmed: order.state == State::Confirmed,
            failure_reason: order.failure_reason.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| events::checkout::Line {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                })
                .collect(),
        };
        platform::outbox::append(
            transaction,
            OrderCompleted::SUBJECT,
            envelope(&event, order.updated_at),
        )
        .await?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|error| Error::Unexpected(error.into()))
}

fn envelope<E: Event>(event: &E, now: i64) -> Envelope {
    Envelope::new(uuid::Uuid::now_v7().to_string(), event, now * 1000)
}
