//! The users: signing up, logging in, looking a user up, and hashing and checking passwords off
//! the async workers.

use std::time::Instant;

use anyhow::Context as _;
use platform::unix_now;

use crate::domain::{DisplayName, Email, Password, User};
use crate::{Error, Identity, random_bytes};

impl Identity {
    /// The id of the user with `email`, if there is one.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>, Error> {
        let email = Email::parse(email)?;
        Ok(self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .map(|(user, _)| user.id))
    }

    /// Creates the user unless one with this email exists; true when created.
    pub async fn ensure_user(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<bool, Error> {
        match self.sign_up(email, password, display_name).await {
            Ok(_) => Ok(true),
            Err(Error::EmailTaken) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Creates a user, after checking every field.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn sign_up(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<User, Error> {
        let email = Email::parse(email)?;
        let password = Password::parse(password)?;
        let display_name = DisplayName::parse(display_name)?;
        let password_hash = self.hash_password(password).await?;
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            email,
            display_name: display_name.as_str().to_owned(),
            created_at: unix_now(),
        };
        self.inner.store.insert_user(&user, &password_hash).await?;
        tracing::info!(user_id = %user.id, "signed up a user");
        Ok(user)
    }

    /// The user with this email and password; `BadCredentials` whatever was wrong, and
    /// `TooManyAttempts` before any check while the email's failures say wait (`throttle`).
    #[tracing::instrument(skip_all)]
    pub(crate) async fn authenticate(&self, email: &str, password: &str) -> Result<User, Error> {
        let throttle = &self.inner.throttle;
        throttle
            .check(email, Instant::now())
            .map_err(|wait| Error::TooManyAttempts {
                retry_after_seconds: wait.as_secs_f64().ceil() as u64,
            })?;
        let found = match Email::parse(email) {
            Ok(email) => self.inner.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let (user, password_hash) = match found {
            Some((user, password_hash)) => (Some(user), password_hash),
            None => (None, self.inner.decoy_password_hash.clone()),
        };
        let matches = self
            .verify_password(password.to_owned(), password_hash)
            .await?;
        match user {
            Some(user) if matches => {
                throttle.succeeded(email);
                Ok(user)
            }
            _ => {
                throttle.failed(email, Instant::now());
                Err(Error::BadCredentials)
            }
        }
    }

    pub(crate) async fn user(&self, user_id: &str) -> Result<Option<User>, Error> {
        self.inner.store.user_by_id(user_id).await
    }

    async fn hash_password(&self, password: Password) -> Result<String, Error> {
        let passwords = self.inner.passwords.clone();
        let salt = random_bytes::<16>()?;
        // Argon2 is deliberately slow; it runs off the async workers.
        let hash = self
            .inner
            .hashing
            .run(move || passwords.hash(&password, &salt))
            .await
            .context("hash a password")?
            .map_err(anyhow::Error::msg)?;
        Ok(hash)
    }

    async fn verify_password(&self, password: String, hash: String) -> Result<bool, Error> {
        let passwords = self.inner.passwords.clone();
        Ok(self
            .inner
            .hashing
            .run(move || passwords.verify(&password, &hash))
            .await
            .context("verify a password")?)
    }
}
