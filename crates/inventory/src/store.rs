//! The only code that touches inventory's database. Every change holds the write lock from its
//! first statement (a write), so concurrent changes queue rather than fail, on either engine.

use std::collections::BTreeMap;

use events::checkout::{Line, StockCommitted, StockReleased, StockReserved};
use events::{Envelope, Event};
use platform::db::{self, Database, Row, Transaction};

use crate::domain::{Lines, State, Transition, transition};
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A sku's stock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
}

impl Level {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

/// A reservation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub id: String,
    pub lines: Lines,
    pub state: State,
    pub expires_at: i64,
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

    pub(crate) async fn levels(&self, skus: &[String]) -> Result<Vec<Level>, Error> {
        let mut levels = Vec::with_capacity(skus.len());
        for sku in skus {
            let row = db::query("SELECT sku, on_hand, reserved FROM stock WHERE sku = $1")
                .bind(sku)
                .fetch_optional(self.database.pool())
                .await?;
            match row {
                Some(row) => levels.push(level_from_row(&row)?),
                None => return Err(Error::UnknownSku(sku.clone())),
            }
        }
        Ok(levels)
    }

    /// Sets what is on hand; refuses to go below what reservations hold.
    pub(crate) async fn set_stock(
        &self,
        sku: &str,
        on_hand: i64,
        now: i64,
    ) -> Result<Level, Error> {
        let mut transaction = self.database.begin_write().await?;
        db::query(
            "INSERT INTO stock (sku, on_hand, reserved, updated_at) VALUES ($1, 0, 0, $2) \
             ON CONFLICT (sku) DO UPDATE SET updated_at = excluded.updated_at",
        )
        .bind(sku)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        let changed = db::query("UPDATE stock SET on_hand = $2 WHERE sku = $1 AND reserved <= $2")
            .bind(sku)
            .bind(on_hand)
            .execute(&mut *transaction)
            .await?;
        let level = level_from_row(
            &db::query("SELECT sku, on_hand, reserved FROM stock WHERE sku = $1")
                .bind(sku)
                .fetch_one(&mut *transaction)
                .await?,
        )?;
        if changed.rows_affected() == 0 {
            return Err(Error::BelowReserved {
                sku: sku.to_owned(),
                reserved: level.reserved,
            });
        }
        transaction.commit().await?;
        Ok(level)
    }

    /// Every sku's level and when it last changed (Unix seconds), by sku: what the data
    /// product's export reads.
    pub(crate) async fn every(&self) -> Result<Vec<(Level, i64)>, Error> {
        let rows = db::query("SELECT sku, on_hand, reserved, updated_at FROM stock ORDER BY sku")
            .fetch_all(self.database.pool())
            .await?;
        let level = |row: &Row| -> Result<(Level, i64), Error> {
            let level = Level {
                sku: row.try_get("sku")?,
                on_hand: row.try_get("on_hand")?,
                reserved: row.try_get("reserved")?,
            };
            Ok((level, row.try_get("updated_at")?))
        };
        rows.iter().map(level).collect()
    }

    /// Adds stock records that do not exist yet; the seed's path.
    pub(crate) async fn seed(&self, levels: &[(String, i64)], now: i64) -> Result<usize, Error> {
        let mut transaction = self.database.begin_write().await?;
        let mut added = 0;
        for (sku, on_hand) in levels {
            let inserted = db::query(
                "INSERT INTO stock (sku, on_hand, reserved, updated_at) VALUES ($1, $2, 0, $3) ON CONFLICT (sku) DO NOTHING",
            )
            .bind(sku)
            .bind(*on_hand)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
            added += inserted.rows_affected() as usize;
        }
        transaction.commit().await?;
        Ok(added)
    }

    /// Holds stock for every line or for none, idempotently by `id`.
    pub(crate) async fn reserve(
        &self,
        id: &str,
        lines: &Lines,
        expires_at: i64,
        now: i64,
    ) -> Result<Reservation, Error> {
        let mut transaction = self.database.begin_write().await?;
        let claimed = db::query(
            "INSERT INTO reservations (id, state, expires_at, created_at, updated_at) VALUES ($1, 'held', $2, $3, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if claimed.rows_affected() == 0 {
            // Asked before: the same lines get the same answer, other lines are a mistake.
            let existing = reservation(&mut transaction, id)
                .await?
                .ok_or_else(|| Error::UnknownReservation(id.to_owned()))?;
            transaction.commit().await?;
            return if existing.lines == *lines {
                Ok(existing)
            } else {
                Err(Error::ReusedId(id.to_owned()))
            };
        }
        for (sku, quantity) in lines.iter() {
            hold_line(&mut transaction, id, sku, quantity, now).await?;
        }
        let event = StockReserved {
            reservation_id: id.to_owned(),
            lines: event_lines(lines),
            expires_at_unix: expires_at,
        };
        platform::outbox::append(
            &mut transaction,
            StockReserved::SUBJECT,
            envelope(&event, now),
        )
        .await?;
        transaction.commit().await?;
        Ok(Reservation {
            id: id.to_owned(),
            lines: lines.clone(),
            state: State::Held,
            expires_at,
        })
    }

    /// Moves a reservation to `target` (committed, released or expired) with its stock.
    /// A held reservation past its expiry expires instead of being committed.
    pub(crate) async fn transition(
        &self,
        id: &str,
        target: State,
        now: i64,
    ) -> Result<Reservation, Error> {
        let mut transaction = self.database.begin_write().await?;
        let claimed = db::query("UPDATE reservations SET updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        if claimed.rows_affected() == 0 {
            return Err(Error::UnknownReservation(id.to_owned()));
        }
        let mut current = reservation(&mut transaction, id)
            .await?
            .ok_or_else(|| Error::UnknownReservation(id.to_owned()))?;
        let lapsed =
            current.state == State::Held && current.expires_at <= now && target == State::Committed;
        let target_now = if lapsed { State::Expired } else { target };
        match transition(current.state, target_now) {
            Transition::AlreadyDone => {
                transaction.commit().await?;
                return Ok(current);
            }
            Transition::Refuse => {
                return Err(Error::WrongState {
                    id: id.to_owned(),
                    state: current.state.as_str(),
                    target: target.as_str(),
                });
            }
            Transition::Apply => {}
        }
        move_stock(&mut transaction, &current, target_now, now).await?;
        db::query("UPDATE reservations SET state = $2 WHERE id = $1")
            .bind(id)
            .bind(target_now.as_str())
            .execute(&mut *transaction)
            .await?;
        let (subject, event) = transition_event(&current, target_now, now);
        platform::outbox::append(&mut transaction, subject, event).await?;
        transaction.commit().await?;
        current.state = target_now;
        if lapsed {
            return Err(Error::WrongState {
                id: id.to_owned(),
                state: State::Expired.as_str(),
                target: target.as_str(),
            });
        }
        Ok(current)
    }

    /// Held reservations whose time is up, oldest first.
    pub(crate) async fn lapsed(&self, now: i64, limit: i64) -> Result<Vec<String>, Error> {
        let rows = db::query("SELECT id FROM reservations WHERE state = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    pub(crate) async fn reservation(&self, id: &str) -> Result<Option<Reservation>, Error> {
        let mut transaction = self.database.begin_read().await?;
        let found = reservation(&mut transaction, id).await?;
        transaction.commit().await?;
        Ok(found)
    }
}

/// Holds `quantity` of `sku` for the reservation `id`, or says why it cannot: too few left,
/// or no such product.
async fn hold_line(
    transaction: &mut Transaction,
    id: &str,
    sku: &str,
    quantity: i64,
    now: i64,
) -> Result<(), Error> {
    let held = db::query(
        "UPDATE stock SET reserved = reserved + $2, updated_at = $3 WHERE sku = $1 AND on_hand - reserved >= $2",
    )
    .bind(sku)
    .bind(quantity)
    .bind(now)
    .execute(&mut *transaction)
    .await?;
    if held.rows_affected() == 0 {
        let row = db::query("SELECT sku, on_hand, reserved FROM stock WHERE sku = $1")
            .bind(sku)
            .fetch_optional(&mut *transaction)
            .await?;
        return Err(match row {
            Some(row) => Error::Short {
                sku: sku.to_owned(),
                available: level_from_row(&row)?.available(),
                wanted: quantity,
            },
            None => Error::UnknownSku(sku.to_owned()),
        });
    }
    db::query("INSERT INTO reservation_lines (reservation_id, sku, quantity) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(sku)
        .bind(quantity)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

async fn reservation(
    transaction: &mut Transaction,
    id: &str,
) -> Result<Option<Reservation>, Error> {
    let Some(row) = db::query("SELECT state, expires_at FROM reservations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **transaction)
        .await?
    else {
        return Ok(None);
    };
    let state: String = row.try_get("state")?;
    let state = State::parse(&state)
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("stored reservation state `{state}`")))?;
    let rows = db::query(
        "SELECT sku, quantity FROM reservation_lines WHERE reservation_id = $1 ORDER BY sku",
    )
    .bind(id)
    .fetch_all(&mut **transaction)
    .await?;
    let mut lines = BTreeMap::new();
    for row in &rows {
        lines.insert(
            row.try_get::<String, _>("sku")?,
            row.try_get::<i64, _>("quantity")?,
        );
    }
    Ok(Some(Reservation {
        id: id.to_owned(),
        lines: Lines::from_stored(lines),
        state,
        expires_at: row.try_get("expires_at")?,
    }))
}

fn level_from_row(row: &Row) -> Result<Level, Error> {
    Ok(Level {
        sku: row.try_get("sku")?,
        on_hand: row.try_get("on_hand")?,
        reserved: row.try_get("reserved")?,
    })
}

/// Moves the stock of `reservation`'s lines as its going to `target` does: committed stock
/// leaves the shelf, released stock is no longer reserved, and sold stock comes back on hand.
async fn move_stock(
    transaction: &mut Transaction,
    reservation: &Reservation,
    target: State,
    now: i64,
) -> Result<(), Error> {
    for (sku, quantity) in reservation.lines.iter() {
        let statement = match (reservation.state, target) {
            (_, State::Committed) => {
                "UPDATE stock SET on_hand = on_hand - $2, reserved = reserved - $2, updated_at = $3 WHERE sku = $1"
            }
            // Sold stock comes back on hand.
            (State::Committed, _) => {
                "UPDATE stock SET on_hand = on_hand + $2, updated_at = $3 WHERE sku = $1"
            }
            _ => "UPDATE stock SET reserved = reserved - $2, updated_at = $3 WHERE sku = $1",
        };
        db::query(statement)
            .bind(sku)
            .bind(quantity)
            .bind(now)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// The event of `reservation` going to `target`.
fn transition_event(
    reservation: &Reservation,
    target: State,
    now: i64,
) -> (&'static str, Envelope) {
    let id = reservation.id.as_str();
    let lines = event_lines(&reservation.lines);
    match target {
        State::Committed => (
            StockCommitted::SUBJECT,
            envelope(
                &StockCommitted {
                    reservation_id: id.to_owned(),
                    lines,
                },
                now,
            ),
        ),
        _ => (
            StockReleased::SUBJECT,
            envelope(
                &StockReleased {
                    reservation_id: id.to_owned(),
                    lines,
                    expired: target == State::Expired,
                },
                now,
            ),
        ),
    }
}

fn event_lines(lines: &Lines) -> Vec<Line> {
    lines
        .iter()
        .map(|(sku, quantity)| Line {
            sku: sku.to_owned(),
            quantity: quantity as u32,
        })
        .collect()
}

fn envelope<E: Event>(event: &E, now: i64) -> Envelope {
    Envelope::new(uuid::Uuid::now_v7().to_string(), event, now * 1000)
}
