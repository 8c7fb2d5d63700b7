//! The identity database: users, clients, signing keys, authorization codes and refresh tokens.
//! The only code that runs SQL; the same queries serve SQLite and PostgreSQL.

use anyhow::Context as _;
use platform::db::{self, Database, Row, is_unique_violation};

use crate::domain::{Client, Email, GrantType, Scopes, User};
use crate::error::Error;
use crate::keys::StoredKey;

/// An authorization code waiting to be exchanged; stored under the SHA-256 of the code.
#[derive(Clone, Debug)]
pub struct CodeRecord {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// A refresh token; stored under the SHA-256 of the token.
#[derive(Clone, Debug)]
pub struct RefreshRecord {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub auth_time: i64,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What became of a refresh token presented for rotation.
#[derive(Debug)]
pub enum Rotation {
    /// The token was good; it is now used and its successor is stored.
    Rotated(RefreshRecord),
    /// The token had already been rotated: someone replayed it, so its whole family is revoked.
    Reused,
    /// Unknown, another client's, expired or revoked.
    Refused,
}

/// The identity provider's database.
#[derive(Clone, Debug)]
pub struct Store {
    database: Database,
}

impl Store {
    /// Connects to the identity database and applies its migrations.
    pub async fn open(database_url: &str) -> anyhow::Result<Store> {
        let database = Database::open(
            database_url,
            &sqlx::migrate!("./migrations/sqlite"),
            &sqlx::migrate!("./migrations/postgres"),
        )
        .await?;
        Ok(Store { database })
    }

    pub async fn insert_user(&self, user: &User, password_hash: &str) -> Result<(), Error> {
        let inserted = db::query(
            "INSERT INTO users (id, email, password_hash, display_name, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&user.id)
        .bind(user.email.as_str())
        .bind(password_hash)
        .bind(&user.display_name)
        .bind(user.created_at)
        .execute(self.database.writer())
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(error) if is_unique_violation(&error) => Err(Error::EmailTaken),
            Err(error) => Err(anyhow::Error::new(error).context("insert a user").into()),
        }
    }

    /// The user with `email` and their password hash.
    pub async fn user_by_email(&self, email: &Email) -> Result<Option<(User, String)>, Error> {
        let row = db::query(
            "SELECT id, email, password_hash, display_name, created_at FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(self.database.pool())
        .await
        .context("find a user by email")?;
        row.map(|row| {
            let password_hash: String = row.try_get("password_hash")?;
            Ok((user_from_row(&row)?, password_hash))
        })
        .transpose()
        .map_err(|error: anyhow::Error| error.context("read a user").into())
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, Error> {
        let row = db::query(
            "SELECT id, email, password_hash, display_name, created_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.database.pool())
        .await
        .context("find a user by id")?;
        Ok(row
            .map(|row| user_from_row(&row))
            .transpose()
            .context("read a user")?)
    }

    /// Stores `client` unless a client with its id exists; true when stored.
    pub async fn insert_client(&self, client: &Client, now: i64) -> Result<bool, Error> {
        let grant_types: Vec<&str> = client
            .grant_types
            .iter()
            .map(|grant| grant.as_str())
            .collect();
        let result = db::query(
            "INSERT INTO clients \
             (client_id, secret_hash, redirect_uris, allowed_scopes, grant_types, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(&client.client_id)
        .bind(client.secret_hash.as_deref())
        .bind(client.redirect_uris.join(" "))
        .bind(client.allowed_scopes.to_string())
        .bind(grant_types.join(" "))
        .bind(now)
        .execute(self.database.writer())
        .await
        .context("insert a client")?;
        Ok(result.rows_affected() == 1)
    }

    /// Stores a client registered from outside, with its name; the id is new, so it cannot clash
    /// unless the random source repeats.
    pub async fn insert_registered_client(
        &self,
        client: &Client,
        client_name: &str,
        now: i64,
    ) -> Result<(), Error> {
        if !self.insert_client(client, now).await? {
            return Err(anyhow::anyhow!("client id {} is taken", client.client_id).into());
        }
        db::query("UPDATE clients SET client_name = $2, registered = TRUE WHERE client_id = $1")
            .bind(&client.client_id)
            .bind(client_name)
            .execute(self.database.writer())
            .await
            .context("name a registered client")?;
        Ok(())
    }

    /// Every client registered from outside, oldest first: `(client, name, registered at)`.
    pub async fn registered_clients(&self) -> Result<Vec<(Client, String, i64)>, Error> {
        let rows = db::query(
            "SELECT client_id, secret_hash, redirect_uris, allowed_scopes, grant_types, client_name, created_at \
             FROM clients WHERE registered ORDER BY created_at, client_id",
        )
        .fetch_all(self.database.pool())
        .await
        .context("list registered clients")?;
        rows.iter()
            .map(|row| {
                let client = client_from_row(row).context("read a client")?;
                let name: String = row.try_get("client_name").context("read a client")?;
                let created_at: i64 = row.try_get("created_at").context("read a client")?;
                Ok((client, name, created_at))
            })
            .collect()
    }

    /// Removes a client registered from outside, with its codes and refresh tokens; false when
    /// there is none by that id (the shop's own clients are not removed this way).
    pub async fn remove_registered_client(&self, client_id: &str) -> Result<bool, Error> {
        let mut transaction = self
            .database
            .begin_write()
            .await
            .context("remove a client")?;
        let result = db::query("DELETE FROM clients WHERE client_id = $1 AND registered")
            .bind(client_id)
            .execute(&mut *transaction)
            .await
            .context("remove a client")?;
        if result.rows_affected() == 0 {
            return Ok(false);
        }
        // Codes go with the client (a foreign key); refresh tokens name it without one.
        db::query("DELETE FROM refresh_tokens WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *transaction)
            .await
            .context("remove a client's refresh tokens")?;
        transaction.commit().await.context("remove a client")?;
        Ok(true)
    }

    /// Replaces a client's secret (its hash).
    pub async fn set_client_secret(&self, client_id: &str, secret_hash: &str) -> Result<(), Error> {
        db::query("UPDATE clients SET secret_hash = $2 WHERE client_id = $1")
            .bind(client_id)
            .bind(secret_hash)
            .execute(self.database.writer())
            .await
            .context("set a client's secret")?;
        Ok(())
    }

    /// Updates what a client may do; its secret stays.
    pub async fn update_client(&self, client: &Client) -> Result<(), Error> {
        let grant_types: Vec<&str> = client
            .grant_types
            .iter()
            .map(|grant| grant.as_str())
            .collect();
        db::query(
            "UPDATE clients SET redirect_uris = $1, allowed_scopes = $2, grant_types = $3 \
             WHERE client_id = $4",
        )
        .bind(client.redirect_uris.join(" "))
        .bind(client.allowed_scopes.to_string())
        .bind(grant_types.join(" "))
        .bind(&client.client_id)
        .execute(self.database.writer())
        .await
        .context("update a client")?;
        Ok(())
    }

    pub async fn client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        let row = db::query(
            "SELECT client_id, secret_hash, redirect_uris, allowed_scopes, grant_types \
             FROM clients WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(self.database.pool())
        .await
        .context("find a client")?;
        Ok(row
            .map(|row| client_from_row(&row))
            .transpose()
            .context("read a client")?)
    }

    pub async fn signing_keys(&self) -> Result<Vec<StoredKey>, Error> {
        let rows = db::query("SELECT kid, pkcs8, created_at, retired_at FROM signing_keys")
            .fetch_all(self.database.pool())
            .await
            .context("list signing keys")?;
        let keys = rows
            .iter()
            .map(|row| {
                Ok(StoredKey {
                    kid: row.try_get("kid")?,
                    pkcs8: row.try_get("pkcs8")?,
                    created_at: row.try_get("created_at")?,
                    retired_at: row.try_get("retired_at")?,
                })
            })
            .collect::<Result<Vec<_>, db::Error>>()
            .context("read signing keys")?;
        Ok(keys)
    }

    pub async fn insert_signing_key(&self, key: &StoredKey) -> Result<(), Error> {
        db::query(
            "INSERT INTO signing_keys (kid, pkcs8, created_at, retired_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&key.kid)
        .bind(&key.pkcs8)
        .bind(key.created_at)
        .bind(key.retired_at)
        .execute(self.database.writer())
        .await
        .context("insert a signing key")?;
        Ok(())
    }

    /// Retires every active key and stores `key`, together.
    pub async fn rotate_signing_key(&self, key: &StoredKey, now: i64) -> Result<(), Error> {
        let mut transaction = self
            .database
            .begin_write()
            .await
            .context("begin a key rotation")?;
        db::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
            .bind(now)
            .execute(&mut *transaction)
            .await
            .context("retire the active signing key")?;
        db::query(
            "INSERT INTO signing_keys (kid, pkcs8, created_at, retired_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&key.kid)
        .bind(&key.pkcs8)
        .bind(key.created_at)
        .bind(key.retired_at)
        .execute(&mut *transaction)
        .await
        .context("insert the new signing key")?;
        transaction
            .commit()
            .await
            .context("commit a key rotation")?;
        Ok(())
    }

    pub async fn insert_code(&self, code: &CodeRecord) -> Result<(), Error> {
        db::query(
            "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, \
             code_challenge, nonce, auth_time, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&code.code_hash)
        .bind(&code.client_id)
        .bind(&code.user_id)
        .bind(&code.redirect_uri)
        .bind(&code.scope)
        .bind(&code.code_challenge)
        .bind(code.nonce.as_deref())
        .bind(code.auth_time)
        .bind(code.expires_at)
        .execute(self.database.writer())
        .await
        .context("insert an authorization code")?;
        Ok(())
    }

    /// Removes the code and returns it: a code is good for one exchange, whatever its outcome.
    pub async fn take_code(&self, code_hash: &str, now: i64) -> Result<Option<CodeRecord>, Error> {
        // Expired codes go too, so that the table holds only the codes still in flight.
        db::query("DELETE FROM authorization_codes WHERE expires_at <= $1")
            .bind(now)
            .execute(self.database.writer())
            .await
            .context("delete expired authorization codes")?;
        let row = db::query(
            "DELETE FROM authorization_codes WHERE code_hash = $1 \
             RETURNING code_hash, client_id, user_id, redirect_uri, scope, code_challenge, nonce, \
             auth_time, expires_at",
        )
        .bind(code_hash)
        .fetch_optional(self.database.writer())
        .await
        .context("take an authorization code")?;
        let code = row
            .map(|row| -> Result<CodeRecord, db::Error> {
                Ok(CodeRecord {
                    code_hash: row.try_get("code_hash")?,
                    client_id: row.try_get("client_id")?,
                    user_id: row.try_get("user_id")?,
                    redirect_uri: row.try_get("redirect_uri")?,
                    scope: row.try_get("scope")?,
                    code_challenge: row.try_get("code_challenge")?,
                    nonce: row.try_get("nonce")?,
                    auth_time: row.try_get("auth_time")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .transpose()
            .context("read an authorization code")?;
        Ok(code)
    }

    pub async fn insert_refresh_token(&self, token: &RefreshRecord) -> Result<(), Error> {
        insert_refresh_token(self.database.writer(), token).await
    }

    /// Marks the token `token_hash` of `client_id` used and stores its successor under
    /// `successor_hash`, in the same family, with the same user, scope and authentication time.
    pub async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        successor_hash: &str,
        successor_expires_at: i64,
        now: i64,
    ) -> Result<Rotation, Error> {
        let mut transaction = self
            .database
            .begin_write()
            .await
            .context("begin a refresh")?;
        // Writing first takes the write lock at once, so that two refreshes cannot both pass.
        let marked = db::query(
            "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND client_id = $3 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash)
        .bind(client_id)
        .execute(&mut *transaction)
        .await
        .context("mark a refresh token used")?
        .rows_affected();
        let row = db::query(
            "SELECT token_hash, family_id, client_id, user_id, scope, auth_time, issued_at, \
             expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *transaction)
        .await
        .context("find a refresh token")?;
        let Some(row) = row else {
            return Ok(Rotation::Refused);
        };
        let token = refresh_from_row(&row).context("read a refresh token")?;
        let used_at: Option<i64> = row.try_get("used_at").context("read a refresh token")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at").context("read a refresh token")?;
        let rotation = if marked == 1 {
            let successor = RefreshRecord {
                token_hash: successor_hash.to_owned(),
                issued_at: now,
                expires_at: successor_expires_at,
                ..token.clone()
            };
            insert_refresh_token(&mut *transaction, &successor).await?;
            Rotation::Rotated(token)
        } else if token.client_id == client_id && used_at.is_some() && revoked_at.is_none() {
            revoke_family(&mut *transaction, &token.family_id, now).await?;
            Rotation::Reused
        } else {
            Rotation::Refused
        };
        transaction.commit().await.context("commit a refresh")?;
        Ok(rotation)
    }

    /// Revokes the family of the refresh token `token_hash` if `client_id` holds it; true when
    /// there was such a token.
    pub async fn revoke_refresh_token(
        &self,
        token_hash: &str,
        client_id: &str,
        now: i64,
    ) -> Result<bool, Error> {
        let family_id: Option<String> = db::query(
            "SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND client_id = $2",
        )
        .bind(token_hash)
        .bind(client_id)
        .fetch_optional(self.database.pool())
        .await
        .context("find a refresh token")?
        .map(|row| row.try_get("family_id"))
        .transpose()
        .context("read a refresh token")?;
        let Some(family_id) = family_id else {
            return Ok(false);
        };
        revoke_family(self.database.writer(), &family_id, now).await?;
        Ok(true)
    }
}

async fn insert_refresh_token<'e, E>(executor: E, token: &RefreshRecord) -> Result<(), Error>
where
    E: Into<db::Target<'e>>,
{
    db::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, auth_time, \
         issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&token.token_hash)
    .bind(&token.family_id)
    .bind(&token.client_id)
    .bind(&token.user_id)
    .bind(&token.scope)
    .bind(token.auth_time)
    .bind(token.issued_at)
    .bind(token.expires_at)
    .execute(executor)
    .await
    .context("insert a refresh token")?;
    Ok(())
}

async fn revoke_family<'e, E>(executor: E, family_id: &str, now: i64) -> Result<(), Error>
where
    E: Into<db::Target<'e>>,
{
    db::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family_id)
    .execute(executor)
    .await
    .context("revoke a refresh token family")?;
    Ok(())
}

fn user_from_row(row: &Row) -> anyhow::Result<User> {
    let email: String = row.try_get("email")?;
    Ok(User {
        id: row.try_get("id")?,
        // Stored emails were parsed on the way in; parsing again keeps one type for them.
        email: Email::parse(&email).map_err(|error| anyhow::anyhow!("stored {error}"))?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn client_from_row(row: &Row) -> anyhow::Result<Client> {
    let redirect_uris: String = row.try_get("redirect_uris")?;
    let allowed_scopes: String = row.try_get("allowed_scopes")?;
    let grant_types: String = row.try_get("grant_types")?;
    Ok(Client {
        client_id: row.try_get("client_id")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: redirect_uris
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        allowed_scopes: Scopes::parse("allowed_scopes", &allowed_scopes)
            .map_err(|error| anyhow::anyhow!("stored {error}"))?,
        grant_types: grant_types
            .split_whitespace()
            .map(|grant| {
                GrantType::parse(grant).with_context(|| format!("unknown stored grant `{grant}`"))
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

fn refresh_from_row(row: &Row) -> Result<RefreshRecord, db::Error> {
    Ok(RefreshRecord {
        token_hash: row.try_get("token_hash")?,
        family_id: row.try_get("family_id")?,
        client_id: row.try_get("client_id")?,
        user_id: row.try_get("user_id")?,
        scope: row.try_get("scope")?,
        auth_time: row.try_get("auth_time")?,
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}
