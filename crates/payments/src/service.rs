//! What the processor does, behind its RPCs: keep a card in the vault, authorize (the issuer's
//! decision, idempotent by key), and move an authorized payment on. `grpc.rs` only converts.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::domain::{self, Card, Invalid, Operation, State};
use crate::store::{Claim, Payment};
use crate::vault::VaultCard;
use crate::{Error, Payments};

/// How long a card waits in the vault for its authorization before it is erased.
pub(crate) const CARD_TTL_SECONDS: i64 = 24 * 3600;

/// The card an authorization charges: given with the request, or kept in the vault.
pub(crate) enum CardSource {
    Given(VaultCard),
    Token(String),
}

/// An authorization asked for, its fields checked.
pub(crate) struct Authorization {
    pub key: String,
    pub order_id: String,
    pub amount: i64,
    pub currency: String,
    pub card: CardSource,
}

impl Payments {
    /// Checks `card` as the processor does and keeps it, sealed, under a new token.
    pub(crate) async fn store_card(&self, card: VaultCard) -> Result<(String, String), Error> {
        let checked = check(&card)?;
        let token = format!("card_{}", uuid::Uuid::new_v4().simple());
        let sealed = self.vault.seal(&token, &card)?;
        self.store
            .keep_card(&token, &sealed, checked.last4(), platform::unix_now())
            .await?;
        Ok((token, checked.last4().to_owned()))
    }

    /// Authorizes, or answers as before for a key seen with the same request.
    pub(crate) async fn authorize(&self, request: Authorization) -> Result<Payment, Error> {
        let (fingerprint, token) = match &request.card {
            CardSource::Given(card) => {
                let checked = check(card)?;
                let fingerprint = fingerprint(&[
                    "authorize",
                    &request.order_id,
                    &request.amount.to_string(),
                    &request.currency,
                    checked.last4(),
                    &card.exp_month.to_string(),
                    &card.exp_year.to_string(),
                ]);
                (fingerprint, None)
            }
            CardSource::Token(token) => {
                let parts = ["authorize", &request.order_id, &request.amount.to_string()];
                let fingerprint = fingerprint(&[&parts[..], &[&request.currency, token]].concat());
                (fingerprint, Some(token.as_str()))
            }
        };
        // A repeat is answered before the vault is asked: its card may be erased by now.
        if let Some(answer) = self.store.replay(&request.key, &fingerprint).await? {
            return Ok(answer);
        }
        let card = match &request.card {
            CardSource::Given(card) => check(card)?,
            CardSource::Token(token) => check(&self.vault_card(token).await?)?,
        };
        self.processing_time().await;
        let decline_reason = domain::decline_reason(
            &card,
            self.faults.fails("payments.decline"),
            rand::random::<f64>(),
            self.config.decline_rate,
        );
        let payment = Payment {
            id: uuid::Uuid::now_v7().to_string(),
            order_id: request.order_id,
            amount: request.amount,
            currency: request.currency,
            state: match decline_reason {
                None => State::Authorized,
                Some(_) => State::Declined,
            },
            card_last4: card.last4().to_owned(),
            decline_reason: decline_reason.unwrap_or_default().to_owned(),
        };
        let now = platform::unix_now();
        let answer = match self.store.claim(&request.key, &fingerprint, now).await? {
            Claim::New(transaction) => {
                if payment.state == State::Declined {
                    metrics::counter!("payments_declined_total").increment(1);
                }
                self.store
                    .insert(transaction, &request.key, &payment, token, now)
                    .await?
            }
            Claim::Replay(answer) => answer,
        };
        tracing::info!(payment_id = %answer.id, state = answer.state.as_str(), "authorization answered");
        Ok(answer)
    }

    /// Captures, voids or refunds a payment, or answers as before for a key seen.
    pub(crate) async fn operate(
        &self,
        key: &str,
        payment_id: &str,
        operation: Operation,
    ) -> Result<Payment, Error> {
        let fingerprint = fingerprint(&[operation.as_str(), payment_id]);
        if let Some(answer) = self.store.replay(key, &fingerprint).await? {
            return Ok(answer);
        }
        self.processing_time().await;
        let now = platform::unix_now();
        match self.store.claim(key, &fingerprint, now).await? {
            Claim::New(transaction) => {
                self.store
                    .apply(transaction, key, payment_id, operation, now)
                    .await
            }
            Claim::Replay(answer) => Ok(answer),
        }
    }

    /// Every payment of an order, oldest first.
    pub(crate) async fn payments_of_order(&self, order_id: &str) -> Result<Vec<Payment>, Error> {
        self.store.for_order(order_id).await
    }

    /// The payment with this id.
    pub(crate) async fn payment(&self, payment_id: &str) -> Result<Payment, Error> {
        self.store
            .get(payment_id)
            .await?
            .ok_or_else(|| Error::UnknownPayment(payment_id.to_owned()))
    }

    /// The card kept under `token`.
    async fn vault_card(&self, token: &str) -> Result<VaultCard, Error> {
        let sealed = self
            .store
            .kept_card(token)
            .await?
            .ok_or_else(|| Error::UnknownCard(token.to_owned()))?;
        Ok(self.vault.open(token, &sealed)?)
    }

    /// The simulated processor's round trip, and any delay a fault adds.
    async fn processing_time(&self) {
        self.faults.delay("payments.timeout").await;
        if self.config.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.config.latency_ms)).await;
        }
    }
}

/// The card checked as the processor checks it, as of today.
fn check(card: &VaultCard) -> Result<Card, Invalid> {
    Card::parse(
        &card.number,
        card.exp_month,
        card.exp_year,
        &card.cvc,
        today(),
    )
}

/// What makes two requests "the same": a hash of their fields (never of a whole card number).
fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// This year and month, in UTC, for card expiry.
fn today() -> (u32, u32) {
    let now = events::rfc3339(platform::unix_now() * 1000);
    let year = now
        .get(0..4)
        .and_then(|year| year.parse().ok())
        .unwrap_or(1970);
    let month = now
        .get(5..7)
        .and_then(|month| month.parse().ok())
        .unwrap_or(1);
    (year, month)
}
