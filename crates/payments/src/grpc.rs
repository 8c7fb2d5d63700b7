//! The `Payments` gRPC service: checks, idempotency, the simulated issuer, then the store.

use std::time::Duration;

use proto::payments as pb;
use proto::payments::payments_server::{Payments as PaymentsRpc, PaymentsServer};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

use crate::domain::{self, Card, Invalid, Operation, State};
use crate::store::{Claim, Payment};
use crate::{CHARGE_SCOPE, Error, Payments, READ_SCOPE};

/// The gRPC face of `Payments`.
#[derive(Clone, Debug)]
pub struct PaymentsGrpc {
    payments: Payments,
}

impl PaymentsGrpc {
    pub(crate) fn server(payments: Payments) -> PaymentsServer<PaymentsGrpc> {
        PaymentsServer::new(PaymentsGrpc { payments })
    }
}

#[tonic::async_trait]
impl PaymentsRpc for PaymentsGrpc {
    #[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
    async fn authorize(
        &self,
        request: Request<pb::AuthorizeRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, CHARGE_SCOPE)?;
        let message = request.get_ref();
        let key = idempotency_key(&message.idempotency_key)?;
        let order_id = message.order_id.trim();
        if order_id.is_empty() || order_id.len() > 64 {
            return Err(Error::from(Invalid {
                field: "order_id",
                reason: "must be 1 to 64 characters".to_owned(),
            })
            .into());
        }
        let amount = message.amount.as_ref().ok_or_else(|| {
            Error::from(Invalid {
                field: "amount",
                reason: "is required".to_owned(),
            })
        })?;
        let (amount, currency) =
            domain::parse_amount(amount.minor_units, &amount.currency).map_err(Error::from)?;
        let card = message.card.as_ref().ok_or_else(|| {
            Error::from(Invalid {
                field: "card",
                reason: "is required".to_owned(),
            })
        })?;
        let parsed = Card::parse(
            &card.number,
            card.exp_month,
            card.exp_year,
            &card.cvc,
            today(),
        )
        .map_err(Error::from)?;
        let fingerprint = fingerprint(&[
            "authorize",
            order_id,
            &amount.to_string(),
            &currency,
            parsed.last4(),
            &card.exp_month.to_string(),
            &card.exp_year.to_string(),
        ]);
        if let Some(answer) = self.payments.store.replay(&key, &fingerprint).await? {
            return Ok(Response::new(to_proto(&answer)));
        }
        self.processing_time().await;
        let decline_reason =
            if parsed.always_declined() || self.payments.faults.fails("payments.decline") {
                "card_declined"
            } else if rand::random::<f64>() < self.payments.config.decline_rate {
                "insufficient_funds"
            } else {
                ""
            };
        let payment = Payment {
            id: uuid::Uuid::now_v7().to_string(),
            order_id: order_id.to_owned(),
            amount,
            currency,
            state: if decline_reason.is_empty() {
                State::Authorized
            } else {
                State::Declined
            }
            .as_str()
            .to_owned(),
            card_last4: parsed.last4().to_owned(),
            decline_reason: decline_reason.to_owned(),
        };
        let now = platform::unix_now();
        let answer = match self.payments.store.claim(&key, &fingerprint, now).await? {
            Claim::New(transaction) => {
                self.payments
                    .store
                    .insert(transaction, &key, &payment, now)
                    .await?
            }
            Claim::Replay(answer) => answer,
        };
        self.payments.outbox.wake();
        tracing::info!(payment_id = %answer.id, state = %answer.state, "authorization answered");
        Ok(Response::new(to_proto(&answer)))
    }

    async fn capture(
        &self,
        request: Request<pb::CaptureRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, CHARGE_SCOPE)?;
        let message = request.get_ref();
        Ok(Response::new(to_proto(
            &self
                .operate(
                    &message.idempotency_key,
                    &message.payment_id,
                    Operation::Capture,
                )
                .await?,
        )))
    }

    async fn void(
        &self,
        request: Request<pb::VoidRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, CHARGE_SCOPE)?;
        let message = request.get_ref();
        Ok(Response::new(to_proto(
            &self
                .operate(
                    &message.idempotency_key,
                    &message.payment_id,
                    Operation::Void,
                )
                .await?,
        )))
    }

    async fn refund(
        &self,
        request: Request<pb::RefundRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, CHARGE_SCOPE)?;
        let message = request.get_ref();
        Ok(Response::new(to_proto(
            &self
                .operate(
                    &message.idempotency_key,
                    &message.payment_id,
                    Operation::Refund,
                )
                .await?,
        )))
    }

    async fn list_payments_for_order(
        &self,
        request: Request<pb::ListPaymentsForOrderRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        platform::auth::authorize_any(&request, &[READ_SCOPE, CHARGE_SCOPE])?;
        let payments = self
            .payments
            .store
            .for_order(request.get_ref().order_id.trim())
            .await?;
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: payments.iter().map(to_proto).collect(),
        }))
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize_any(&request, &[READ_SCOPE, CHARGE_SCOPE])?;
        let id = request.get_ref().payment_id.trim();
        let payment = self
            .payments
            .store
            .get(id)
            .await?
            .ok_or_else(|| Error::UnknownPayment(id.to_owned()))?;
        Ok(Response::new(to_proto(&payment)))
    }
}

impl PaymentsGrpc {
    #[tracing::instrument(skip(self, key), fields(operation = operation.as_str()))]
    async fn operate(
        &self,
        key: &str,
        payment_id: &str,
        operation: Operation,
    ) -> Result<Payment, Error> {
        let key = idempotency_key(key)?;
        let payment_id = payment_id.trim();
        if payment_id.is_empty() {
            return Err(Invalid {
                field: "payment_id",
                reason: "is required".to_owned(),
            }
            .into());
        }
        let fingerprint = fingerprint(&[operation.as_str(), payment_id]);
        if let Some(answer) = self.payments.store.replay(&key, &fingerprint).await? {
            return Ok(answer);
        }
        self.processing_time().await;
        let now = platform::unix_now();
        let answer = match self.payments.store.claim(&key, &fingerprint, now).await? {
            Claim::New(transaction) => {
                self.payments
                    .store
                    .apply(transaction, &key, payment_id, operation, now)
                    .await?
            }
            Claim::Replay(answer) => answer,
        };
        self.payments.outbox.wake();
        Ok(answer)
    }

    /// The simulated processor's round trip, and any delay a fault adds.
    async fn processing_time(&self) {
        self.payments.faults.delay("payments.timeout").await;
        if self.payments.config.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.payments.config.latency_ms)).await;
        }
    }
}

fn idempotency_key(raw: &str) -> Result<String, Error> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(Invalid {
            field: "idempotency_key",
            reason: "must be 1 to 128 printable characters".to_owned(),
        }
        .into());
    }
    Ok(key.to_owned())
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

fn to_proto(payment: &Payment) -> pb::Payment {
    let state = match payment.state() {
        State::Authorized => pb::PaymentState::Authorized,
        State::Captured => pb::PaymentState::Captured,
        State::Voided => pb::PaymentState::Voided,
        State::Refunded => pb::PaymentState::Refunded,
        State::Declined => pb::PaymentState::Declined,
    };
    pb::Payment {
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
        amount: Some(proto::common::Money {
            minor_units: payment.amount,
            currency: payment.currency.clone(),
        }),
        state: state as i32,
        card_last4: payment.card_last4.clone(),
        decline_reason: payment.decline_reason.clone(),
    }
}
