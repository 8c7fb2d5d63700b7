//! The `Payments` gRPC service: messages to the service's types and back; `service.rs` decides.

use proto::payments as pb;
use proto::payments::payments_server::{Payments as PaymentsRpc, PaymentsServer};
use tonic::{Request, Response, Status};

use crate::domain::{self, Invalid, Operation, State};
use crate::service::{Authorization, CardSource};
use crate::store::Payment;
use crate::vault::VaultCard;
use proto::scopes::{PAYMENTS_CHARGE, PAYMENTS_READ};

use crate::{Error, Payments};

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
    async fn store_card(
        &self,
        request: Request<pb::StoreCardRequest>,
    ) -> Result<Response<pb::StoredCard>, Status> {
        platform::auth::authorize(&request, PAYMENTS_CHARGE)?;
        let card = request.into_inner().card.ok_or_else(|| required("card"))?;
        let (card_token, card_last4) = self.payments.store_card(vault_card(card)).await?;
        Ok(Response::new(pb::StoredCard {
            card_token,
            card_last4,
        }))
    }

    #[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
    async fn authorize(
        &self,
        request: Request<pb::AuthorizeRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, PAYMENTS_CHARGE)?;
        let message = request.into_inner();
        let key = idempotency_key(&message.idempotency_key)?;
        let order_id = message.order_id.trim();
        if order_id.is_empty() || order_id.len() > 64 {
            return Err(Error::from(Invalid {
                field: "order_id",
                reason: "must be 1 to 64 characters".to_owned(),
            })
            .into());
        }
        let amount = message.amount.as_ref().ok_or_else(|| required("amount"))?;
        let (amount, currency) =
            domain::parse_amount(amount.minor_units, &amount.currency).map_err(Error::from)?;
        let card = match (message.card, message.card_token.trim()) {
            (Some(card), "") => CardSource::Given(vault_card(card)),
            (None, "") => return Err(required("card")),
            (None, token) => CardSource::Token(token.to_owned()),
            (Some(_), _) => {
                return Err(Error::from(Invalid {
                    field: "card_token",
                    reason: "give a card or a card_token, not both".to_owned(),
                })
                .into());
            }
        };
        let authorization = Authorization {
            key,
            order_id: order_id.to_owned(),
            amount,
            currency,
            card,
        };
        let answer = self.payments.authorize(authorization).await?;
        Ok(Response::new(to_proto(&answer)))
    }

    async fn capture(
        &self,
        request: Request<pb::CaptureRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, PAYMENTS_CHARGE)?;
        let message = request.get_ref();
        self.operate(
            &message.idempotency_key,
            &message.payment_id,
            Operation::Capture,
        )
        .await
    }

    async fn void(
        &self,
        request: Request<pb::VoidRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, PAYMENTS_CHARGE)?;
        let message = request.get_ref();
        self.operate(
            &message.idempotency_key,
            &message.payment_id,
            Operation::Void,
        )
        .await
    }

    async fn refund(
        &self,
        request: Request<pb::RefundRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize(&request, PAYMENTS_CHARGE)?;
        let message = request.get_ref();
        self.operate(
            &message.idempotency_key,
            &message.payment_id,
            Operation::Refund,
        )
        .await
    }

    async fn list_payments_for_order(
        &self,
        request: Request<pb::ListPaymentsForOrderRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        platform::auth::authorize_any(&request, &[PAYMENTS_READ, PAYMENTS_CHARGE])?;
        let payments = self
            .payments
            .payments_of_order(request.get_ref().order_id.trim())
            .await?;
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: payments.iter().map(to_proto).collect(),
        }))
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::Payment>, Status> {
        platform::auth::authorize_any(&request, &[PAYMENTS_READ, PAYMENTS_CHARGE])?;
        let id = request.get_ref().payment_id.trim();
        let payment = self.payments.payment(id).await?;
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
    ) -> Result<Response<pb::Payment>, Status> {
        let key = idempotency_key(key)?;
        let payment_id = payment_id.trim();
        if payment_id.is_empty() {
            return Err(required("payment_id"));
        }
        let answer = self.payments.operate(&key, payment_id, operation).await?;
        Ok(Response::new(to_proto(&answer)))
    }
}

fn required(field: &'static str) -> Status {
    Error::from(Invalid {
        field,
        reason: "is required".to_owned(),
    })
    .into()
}

fn vault_card(card: pb::Card) -> VaultCard {
    VaultCard {
        number: card.number,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        cvc: card.cvc,
    }
}

fn idempotency_key(raw: &str) -> Result<String, Error> {
    let key = platform::values::IdempotencyKey::parse(raw)?;
    Ok(key.into_string())
}

fn to_proto(payment: &Payment) -> pb::Payment {
    let state = match payment.state {
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
