//! The only code that touches shipping's database.

use events::checkout::ShipmentChanged;
use events::{Envelope, Event};
use platform::db::{self, Database, Row, Transaction};

use crate::domain::{Address, State};
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const BY_ID: &str = "SELECT id, order_id, tracking_number, state, cost_minor, currency FROM shipments WHERE id = $1";
const BY_ORDER: &str = "SELECT id, order_id, tracking_number, state, cost_minor, currency FROM shipments WHERE order_id = $1";

/// A shipment with what the carrier said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    pub id: String,
    pub order_id: String,
    pub tracking_number: String,
    pub state: State,
    pub cost_minor: i64,
    pub currency: String,
    /// `(unix seconds, description)`, oldest first.
    pub events: Vec<(i64, String)>,
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

    /// Creates the order's shipment, or returns the one it has: one shipment per order.
    pub(crate) async fn create(
        &self,
        order_id: &str,
        address: &Address,
        weight_grams: u32,
        cost_minor: i64,
        now: i64,
    ) -> Result<Shipment, Error> {
        let mut transaction = self.database.begin_write().await?;
        let id = uuid::Uuid::now_v7().to_string();
        let tracking_number = format!("EMP{}", &id.replace('-', "")[16..].to_ascii_uppercase());
        let created = db::query(
            "INSERT INTO shipments (id, order_id, tracking_number, state, cost_minor, currency, address, weight_grams, created_at, updated_at) \
             VALUES ($1, $2, $3, 'created', $4, 'USD', $5, $6, $7, $7) ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(&id)
        .bind(order_id)
        .bind(&tracking_number)
        .bind(cost_minor)
        .bind(serde_json::to_string(address).map_err(|error| Error::Unexpected(error.into()))?)
        .bind(i64::from(weight_grams))
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if created.rows_affected() == 1 {
            record(&mut transaction, &id, now, "Label created").await?;
            // Everything it holds is in hand: no need to read it back.
            let shipment = Shipment {
                id,
                order_id: order_id.to_owned(),
                tracking_number,
                state: State::Created,
                cost_minor,
                currency: "USD".to_owned(),
                events: vec![(now, "Label created".to_owned())],
            };
            publish(&mut transaction, &shipment, now).await?;
            transaction.commit().await?;
            return Ok(shipment);
        }
        let existing = load(&mut transaction, BY_ORDER, order_id)
            .await?
            .ok_or_else(|| Error::UnknownShipment(order_id.to_owned()))?;
        transaction.commit().await?;
        Ok(existing)
    }

    /// Cancels a shipment the carrier does not have yet; cancelling twice is fine.
    pub(crate) async fn cancel(&self, id: &str, now: i64) -> Result<Shipment, Error> {
        self.advance(id, now, |state| match state.cancellable() {
            Ok(true) => Ok(Some((State::Cancelled, "Cancelled before pick-up"))),
            Ok(false) => Ok(None),
            Err(state) => Err(Error::NotCancellable {
                id: id.to_owned(),
                state: state.as_str(),
            }),
        })
        .await
    }

    /// The id of the order's shipment, if it has one.
    pub(crate) async fn id_for_order(&self, order_id: &str) -> Result<Option<String>, Error> {
        let row = db::query("SELECT id FROM shipments WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(self.database.pool())
            .await?;
        row.map(|row| Ok(row.try_get("id")?)).transpose()
    }

    /// Moves a shipment one carrier step on (created → in transit → delivered).
    pub(crate) async fn step(&self, id: &str, now: i64) -> Result<Shipment, Error> {
        self.advance(id, now, |state| Ok(state.next())).await
    }

    async fn advance(
        &self,
        id: &str,
        now: i64,
        decide: impl FnOnce(State) -> Result<Option<(State, &'static str)>, Error>,
    ) -> Result<Shipment, Error> {
        let mut transaction = self.database.begin_write().await?;
        let claimed = db::query("UPDATE shipments SET updated_at = updated_at WHERE id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        if claimed.rows_affected() == 0 {
            return Err(Error::UnknownShipment(id.to_owned()));
        }
        let mut shipment = load(&mut transaction, BY_ID, id)
            .await?
            .ok_or_else(|| Error::UnknownShipment(id.to_owned()))?;
        if let Some((next, description)) = decide(shipment.state)? {
            db::query("UPDATE shipments SET state = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(next.as_str())
                .bind(now)
                .execute(&mut *transaction)
                .await?;
            record(&mut transaction, id, now, description).await?;
            shipment = load(&mut transaction, BY_ID, id)
                .await?
                .ok_or_else(|| Error::UnknownShipment(id.to_owned()))?;
            publish(&mut transaction, &shipment, now).await?;
        }
        transaction.commit().await?;
        Ok(shipment)
    }

    pub(crate) async fn get(&self, id: &str) -> Result<Option<Shipment>, Error> {
        let mut transaction = self.database.begin_read().await?;
        let shipment = load(&mut transaction, BY_ID, id).await?;
        transaction.commit().await?;
        Ok(shipment)
    }

    /// Shipments in `state` that have not moved since `before`, for the simulated carrier.
    pub(crate) async fn idle(&self, state: State, before: i64) -> Result<Vec<String>, Error> {
        let rows = db::query("SELECT id FROM shipments WHERE state = $1 AND updated_at <= $2 ORDER BY updated_at LIMIT 100")
            .bind(state.as_str())
            .bind(before)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }
}

/// The shipment `statement` (`BY_ID` or `BY_ORDER`) finds for `value`, with its tracking events.
async fn load(
    transaction: &mut Transaction,
    statement: &'static str,
    value: &str,
) -> Result<Option<Shipment>, Error> {
    let Some(row) = db::query(statement)
        .bind(value)
        .fetch_optional(&mut **transaction)
        .await?
    else {
        return Ok(None);
    };
    let mut shipment = shipment_from_row(&row)?;
    let events = db::query(
        "SELECT at, description FROM tracking_events WHERE shipment_id = $1 ORDER BY position",
    )
    .bind(&shipment.id)
    .fetch_all(&mut **transaction)
    .await?;
    for event in &events {
        shipment
            .events
            .push((event.try_get("at")?, event.try_get("description")?));
    }
    Ok(Some(shipment))
}

fn shipment_from_row(row: &Row) -> Result<Shipment, Error> {
    let state: String = row.try_get("state")?;
    Ok(Shipment {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        tracking_number: row.try_get("tracking_number")?,
        state: State::parse(&state)
            .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("stored shipment state `{state}`")))?,
        cost_minor: row.try_get("cost_minor")?,
        currency: row.try_get("currency")?,
        events: Vec::new(),
    })
}

async fn record(
    transaction: &mut Transaction,
    id: &str,
    now: i64,
    description: &str,
) -> Result<(), Error> {
    // Events of one shipment are numbered in the order they happen; several may share a second.
    db::query(
        "INSERT INTO tracking_events (shipment_id, position, at, description) \
         SELECT $1, COUNT(*) + 1, $2, $3 FROM tracking_events WHERE shipment_id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(description)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

async fn publish(
    transaction: &mut Transaction,
    shipment: &Shipment,
    now: i64,
) -> Result<(), Error> {
    let event = ShipmentChanged {
        shipment_id: shipment.id.clone(),
        order_id: shipment.order_id.clone(),
        state: shipment.state.as_str().to_owned(),
        tracking_number: shipment.tracking_number.clone(),
    };
    let envelope = Envelope::new(uuid::Uuid::now_v7().to_string(), &event, now * 1000);
    platform::outbox::append(transaction, ShipmentChanged::SUBJECT, envelope).await?;
    Ok(())
}
