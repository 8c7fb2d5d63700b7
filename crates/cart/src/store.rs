//! The only code that touches the cart's data: a SQL database (SQLite or PostgreSQL), or Redis
//! when `redis_url` is set.
//!
//! In Redis a cart is two keys: a hash of sku to quantity (`<prefix><user>`) and a sorted set of
//! skus by the time they were added (`<prefix><user>:added`), changed together by Lua scripts so
//! that the limits hold under concurrent calls. Carts left alone for 30 days expire. When Redis
//! cannot be reached, calls fail with `Error::Unavailable`, which the edge turns into a 503.

use std::time::Duration;

use platform::db::{self, Database, Transaction};

use crate::Config;
use crate::error::Error;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Where carts are kept.
#[derive(Clone)]
pub(crate) enum Store {
    Sql(SqlStore),
    Redis(RedisStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Sql(_) => formatter.write_str("Store::Sql"),
            Store::Redis(store) => write!(formatter, "Store::Redis({})", store.prefix),
        }
    }
}

impl Store {
    /// Opens the SQL database (applying its migrations), or prepares the Redis client (which
    /// connects on first use, so that the cart starts while Redis is away).
    pub(crate) async fn open(config: &Config) -> anyhow::Result<Store> {
        if config.redis_url.is_empty() {
            let database = Database::open(
                &config.database_url,
                &SQLITE_MIGRATIONS,
                &POSTGRES_MIGRATIONS,
            )
            .await?;
            return Ok(Store::Sql(SqlStore { database }));
        }
        Ok(Store::Redis(RedisStore::new(
            &config.redis_url,
            &config.redis_prefix,
        )?))
    }

    /// A user's lines as (sku, quantity), oldest first.
    pub(crate) async fn lines(&self, user_id: &str) -> Result<Vec<(String, i64)>, Error> {
        match self {
            Store::Sql(store) => store.lines(user_id).await,
            Store::Redis(store) => store.lines(user_id).await,
        }
    }

    /// Adds `quantity` to a line, creating it; refuses to pass `max_quantity` or `max_lines`.
    pub(crate) async fn add(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_quantity: u32,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        match self {
            Store::Sql(store) => {
                store
                    .add(user_id, sku, quantity, max_quantity, max_lines, now)
                    .await
            }
            Store::Redis(store) => {
                store
                    .add(user_id, sku, quantity, max_quantity, max_lines, now)
                    .await
            }
        }
    }

    /// Sets a line's quantity, creating it.
    pub(crate) async fn set(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        match self {
            Store::Sql(store) => store.set(user_id, sku, quantity, max_lines, now).await,
            Store::Redis(store) => store.set(user_id, sku, quantity, max_lines, now).await,
        }
    }

    pub(crate) async fn remove(&self, user_id: &str, sku: &str) -> Result<(), Error> {
        match self {
            Store::Sql(store) => store.remove(user_id, sku).await,
            Store::Redis(store) => store.remove(user_id, sku).await,
        }
    }

    pub(crate) async fn clear(&self, user_id: &str) -> Result<(), Error> {
        match self {
            Store::Sql(store) => store.clear(user_id).await,
            Store::Redis(store) => store.clear(user_id).await,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct SqlStore {
    database: Database,
}

impl SqlStore {
    /// A user's lines as (sku, quantity), oldest first.
    pub(crate) async fn lines(&self, user_id: &str) -> Result<Vec<(String, i64)>, Error> {
        let rows = db::query(
            "SELECT sku, quantity FROM cart_lines WHERE user_id = $1 ORDER BY added_at, sku",
        )
        .bind(user_id)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("sku")?, row.try_get("quantity")?)))
            .collect()
    }

    /// Adds `quantity` to a line, creating it; refuses to pass `max_quantity` or `max_lines`.
    pub(crate) async fn add(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_quantity: u32,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        ensure_room_for(&mut transaction, user_id, sku, max_lines).await?;
        let result = db::query(
            "INSERT INTO cart_lines (user_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, sku) DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity \
             WHERE cart_lines.quantity + excluded.quantity <= $5",
        )
        .bind(user_id)
        .bind(sku)
        .bind(quantity)
        .bind(now)
        .bind(i64::from(max_quantity))
        .execute(&mut *transaction)
        .await?;
        if result.rows_affected() == 0 {
            return Err(Error::TooMany(max_quantity));
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Sets a line's quantity, creating it.
    pub(crate) async fn set(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        let mut transaction = self.database.begin_write().await?;
        ensure_room_for(&mut transaction, user_id, sku, max_lines).await?;
        db::query(
            "INSERT INTO cart_lines (user_id, sku, quantity, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, sku) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(user_id)
        .bind(sku)
        .bind(quantity)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    pub(crate) async fn remove(&self, user_id: &str, sku: &str) -> Result<(), Error> {
        db::query("DELETE FROM cart_lines WHERE user_id = $1 AND sku = $2")
            .bind(user_id)
            .bind(sku)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    pub(crate) async fn clear(&self, user_id: &str) -> Result<(), Error> {
        db::query("DELETE FROM cart_lines WHERE user_id = $1")
            .bind(user_id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }
}

/// Fails when the cart already holds `max_lines` skus other than `sku`.
async fn ensure_room_for(
    transaction: &mut Transaction,
    user_id: &str,
    sku: &str,
    max_lines: u32,
) -> Result<(), Error> {
    let other_lines: i64 =
        db::query("SELECT COUNT(*) FROM cart_lines WHERE user_id = $1 AND sku <> $2")
            .bind(user_id)
            .bind(sku)
            .fetch_one(&mut **transaction)
            .await?
            .try_get(0)?;
    if other_lines >= i64::from(max_lines) {
        return Err(Error::TooManyLines(max_lines));
    }
    Ok(())
}

/// How long a cart nobody touches is kept in Redis.
const REDIS_CART_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Adds to a line. KEYS: the hash, the set. ARGV: sku, quantity, now, max quantity, max lines,
/// ttl in seconds. Returns 0, or -1 past the quantity, -2 past the lines.
const ADD: &str = r"
local current = redis.call('HGET', KEYS[1], ARGV[1])
local others = redis.call('HLEN', KEYS[1])
if current then others = others - 1 end
if others >= tonumber(ARGV[5]) then return -2 end
if current then
  local total = tonumber(current) + tonumber(ARGV[2])
  if total > tonumber(ARGV[4]) then return -1 end
  redis.call('HSET', KEYS[1], ARGV[1], total)
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 0
";

/// Sets a line. KEYS: the hash, the set. ARGV: sku, quantity, now, max lines, ttl in seconds.
/// Returns 0, or -2 past the lines.
const SET: &str = r"
local others = redis.call('HLEN', KEYS[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then others = others - 1 end
if others >= tonumber(ARGV[4]) then return -2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 0
";

/// The lines, oldest first, as sku, quantity, sku, quantity...; KEYS: the hash, the set.
const LINES: &str = r"
local skus = redis.call('ZRANGE', KEYS[2], 0, -1)
local lines = {}
for _, sku in ipairs(skus) do
  local quantity = redis.call('HGET', KEYS[1], sku)
  if quantity then
    table.insert(lines, sku)
    table.insert(lines, quantity)
  end
end
return lines
";

/// Carts in Redis.
#[derive(Clone)]
pub(crate) struct RedisStore {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    add: std::sync::Arc<redis::Script>,
    set: std::sync::Arc<redis::Script>,
    lines: std::sync::Arc<redis::Script>,
}

impl RedisStore {
    fn new(url: &str, prefix: &str) -> anyhow::Result<RedisStore> {
        // A cart that waits on a Redis that is away should say so quickly.
        let connection = platform::kv::connect_lazy(
            url,
            "cart.redis_url",
            Duration::from_secs(1),
            Duration::from_secs(2),
        )?;
        Ok(RedisStore {
            connection,
            prefix: prefix.to_owned(),
            add: std::sync::Arc::new(redis::Script::new(ADD)),
            set: std::sync::Arc::new(redis::Script::new(SET)),
            lines: std::sync::Arc::new(redis::Script::new(LINES)),
        })
    }

    fn keys(&self, user_id: &str) -> (String, String) {
        let cart = format!("{}{user_id}", self.prefix);
        let added = format!("{cart}:added");
        (cart, added)
    }

    async fn lines(&self, user_id: &str) -> Result<Vec<(String, i64)>, Error> {
        let (cart, added) = self.keys(user_id);
        let flat: Vec<String> = self
            .lines
            .key(cart)
            .key(added)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(unavailable)?;
        flat.chunks(2)
            .map(|pair| match pair {
                [sku, quantity] => quantity
                    .parse()
                    .map(|quantity| (sku.clone(), quantity))
                    .map_err(|_| {
                        Error::Unexpected(anyhow::anyhow!(
                            "the stored quantity of {sku} is `{quantity}`"
                        ))
                    }),
                _ => Err(Error::Unexpected(anyhow::anyhow!(
                    "a stored cart line without its quantity"
                ))),
            })
            .collect()
    }

    async fn add(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_quantity: u32,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        let (cart, added) = self.keys(user_id);
        let outcome: i64 = self
            .add
            .key(cart)
            .key(added)
            .arg(sku)
            .arg(quantity)
            .arg(now)
            .arg(max_quantity)
            .arg(max_lines)
            .arg(REDIS_CART_TTL.as_secs())
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(unavailable)?;
        match outcome {
            -1 => Err(Error::TooMany(max_quantity)),
            -2 => Err(Error::TooManyLines(max_lines)),
            _ => Ok(()),
        }
    }

    async fn set(
        &self,
        user_id: &str,
        sku: &str,
        quantity: i64,
        max_lines: u32,
        now: i64,
    ) -> Result<(), Error> {
        let (cart, added) = self.keys(user_id);
        let outcome: i64 = self
            .set
            .key(cart)
            .key(added)
            .arg(sku)
            .arg(quantity)
            .arg(now)
            .arg(max_lines)
            .arg(REDIS_CART_TTL.as_secs())
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(unavailable)?;
        match outcome {
            -2 => Err(Error::TooManyLines(max_lines)),
            _ => Ok(()),
        }
    }

    async fn remove(&self, user_id: &str, sku: &str) -> Result<(), Error> {
        let (cart, added) = self.keys(user_id);
        redis::pipe()
            .atomic()
            .hdel(cart, sku)
            .ignore()
            .zrem(added, sku)
            .ignore()
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(unavailable)
    }

    async fn clear(&self, user_id: &str) -> Result<(), Error> {
        let (cart, added) = self.keys(user_id);
        redis::cmd("DEL")
            .arg(cart)
            .arg(added)
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(unavailable)
    }
}

fn unavailable(error: redis::RedisError) -> Error {
    Error::Unavailable(format!("the cart store (Redis) is unavailable: {error}"))
}
