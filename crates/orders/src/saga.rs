//! The checkout saga: reserve stock, authorize payment, create the shipment, capture, confirm;
//! on a failure, compensate in reverse (cancel the shipment, void or refund, release the stock)
//! and fail the order with a reason. The order is saved after every step, so a restart resumes
//! it; every call is idempotent (keys and ids derive from the order id), so a step may repeat.

use std::time::Duration;

use proto::inventory as inventory_pb;
use proto::payments as payments_pb;
use proto::shipping as shipping_pb;
use tonic::{Code, Status};
use tracing::Instrument as _;

use crate::Orders;
use crate::domain::{State, Step, next_step};
use crate::store::Order;

/// Why a step did not succeed.
enum StepError {
    /// The step cannot succeed: compensate and fail the order with this reason.
    Refused(String),
}

impl Orders {
    /// Runs an order's saga until it is confirmed or failed; `resumed` when a restart or
    /// another task left it unfinished.
    pub(crate) async fn run_saga(&self, mut order: Order, resumed: bool) -> Order {
        let Some(_running) = self.claim(&order.id) else {
            // Another task in this process works on it; report what is known.
            return order;
        };
        if resumed {
            // A resumed saga starts from what is stored now, not from the snapshot it was found
            // in: the checkout that ran it may have finished in between.
            match self.store.get(&order.id).await {
                Ok(Some(stored)) => order = stored,
                Ok(None) => return order,
                Err(error) => {
                    tracing::warn!(order_id = %order.id, %error, "reading the order to resume it failed; leaving it for the next round");
                    return order;
                }
            }
        }
        while let Some(step) = next_step(order.state) {
            let span = step_span(step.as_str(), &order.id);
            match self
                .perform(step, &mut order)
                .instrument(span.clone())
                .await
            {
                Ok(()) => {
                    order.state = step.reaches();
                    self.record(&mut order).await;
                    self.faults_after(step);
                    if order.state == State::Confirmed {
                        confirmed(&order);
                    }
                }
                Err(StepError::Refused(reason)) => {
                    platform::telemetry::mark_error(&span, &reason);
                    metrics::counter!("saga_step_failures_total", "step" => step.as_str())
                        .increment(1);
                    tracing::info!(order_id = %order.id, step = step.as_str(), %reason, "checkout failed; compensating");
                    order.failure_reason = reason;
                    order.state = State::Compensating;
                    self.record(&mut order).await;
                }
            }
        }
        if order.state == State::Compensating {
            let span = step_span("compensate", &order.id);
            self.compensate(&mut order).instrument(span).await;
        }
        order
    }

    /// Saves the order and tells its watchers; a save that fails is retried, since the saga
    /// must not run ahead of what is stored.
    async fn record(&self, order: &mut Order) {
        order.updated_at = platform::unix_now();
        let mut wait = Duration::from_millis(50);
        loop {
            match self.store.save(order).await {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(order_id = %order.id, error = %error, "saving the order failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
        let _ = self.updates.send(order.clone());
    }

    async fn perform(&self, step: Step, order: &mut Order) -> Result<(), StepError> {
        match step {
            Step::ReserveStock => self.reserve_stock(order).await,
            Step::AuthorizePayment => self.authorize_payment(order).await,
            Step::CreateShipment => self.create_shipment(order).await,
            Step::CapturePayment => self.capture_payment(order).await,
            Step::Confirm => self.confirm(order).await,
        }
    }

    /// Holds every line of the order at inventory.
    async fn reserve_stock(&self, order: &Order) -> Result<(), StepError> {
        let request = inventory_pb::ReserveRequest {
            reservation_id: order.id.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| inventory_pb::ReservationLine {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                })
                .collect(),
            ttl_seconds: self.config.reservation_ttl_seconds,
        };
        self.call(Step::ReserveStock, |token| {
            let mut client = self.inventory.clone();
            let request = self.request(request.clone(), &token);
            async move { client.reserve(request).await }
        })
        .await?;
        Ok(())
    }

    /// Authorizes the total with the card the vault keeps for the order.
    async fn authorize_payment(&self, order: &mut Order) -> Result<(), StepError> {
        if order.card_token.is_empty() {
            // Only orders placed before the vault existed have no token.
            return Err(StepError::Refused(
                "the order has no card to pay with; please check out again".to_owned(),
            ));
        }
        let request = payments_pb::AuthorizeRequest {
            idempotency_key: format!("{}-authorize", order.id),
            order_id: order.id.clone(),
            amount: Some(proto::common::Money {
                minor_units: order.total_minor,
                currency: order.currency.clone(),
            }),
            card: None,
            card_token: order.card_token.clone(),
        };
        let payment = self
            .call(Step::AuthorizePayment, |token| {
                let mut client = self.payments.clone();
                let request = self.request(request.clone(), &token);
                async move { client.authorize(request).await }
            })
            .await?;
        order.payment_id = payment.payment_id.clone();
        if payment.state == payments_pb::PaymentState::Declined as i32 {
            return Err(StepError::Refused(format!(
                "the payment was declined ({})",
                payment.decline_reason
            )));
        }
        Ok(())
    }

    /// Books the parcel with shipping.
    async fn create_shipment(&self, order: &mut Order) -> Result<(), StepError> {
        let address = &order.address;
        let request = shipping_pb::CreateShipmentRequest {
            order_id: order.id.clone(),
            address: Some(proto::common::Address {
                name: address.name.clone(),
                line1: address.line1.clone(),
                line2: address.line2.clone(),
                city: address.city.clone(),
                postal_code: address.postal_code.clone(),
                country: address.country.clone(),
            }),
            weight_grams: order.weight_grams,
        };
        let shipment = self
            .call(Step::CreateShipment, |token| {
                let mut client = self.shipping.clone();
                let request = self.request(request.clone(), &token);
                async move { client.create_shipment(request).await }
            })
            .await?;
        order.shipment_id = shipment.shipment_id;
        Ok(())
    }

    /// Takes the authorized money.
    async fn capture_payment(&self, order: &Order) -> Result<(), StepError> {
        let request = payments_pb::CaptureRequest {
            idempotency_key: format!("{}-capture", order.id),
            payment_id: order.payment_id.clone(),
        };
        self.call(Step::CapturePayment, |token| {
            let mut client = self.payments.clone();
            let request = self.request(request.clone(), &token);
            async move { client.capture(request).await }
        })
        .await?;
        Ok(())
    }

    /// Commits the reserved stock: the order is done.
    async fn confirm(&self, order: &Order) -> Result<(), StepError> {
        let request = inventory_pb::CommitRequest {
            reservation_id: order.id.clone(),
        };
        self.call(Step::Confirm, |token| {
            let mut client = self.inventory.clone();
            let request = self.request(request.clone(), &token);
            async move { client.commit(request).await }
        })
        .await?;
        Ok(())
    }

    /// Calls a downstream step with the service's token, a deadline, and a few retries for
    /// failures that may pass (every step is idempotent, so a retry is safe).
    async fn call<T, F, Fut>(&self, step: Step, call: F) -> Result<T, StepError>
    where
        F: Fn(std::sync::Arc<str>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let mut wait = Duration::from_millis(20);
        let mut last = String::new();
        for attempt in 1..=self.config.step_attempts.max(1) {
            let token = match self.service_token.token().await {
                Ok(token) => token,
                Err(status) => {
                    last = status.message().to_owned();
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            match call(token).await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) if transient(&status) => {
                    tracing::warn!(step = step.as_str(), attempt, code = ?status.code(), message = status.message(), "step failed; retrying");
                    last = describe(step, &status);
                    tokio::time::sleep(wait + Duration::from_millis(rand_jitter())).await;
                    wait *= 2;
                }
                Err(status) => return Err(StepError::Refused(describe(step, &status))),
            }
        }
        Err(StepError::Refused(last))
    }

    fn request<T>(&self, message: T, token: &str) -> tonic::Request<T> {
        let mut request = platform::transport::request(message, token);
        platform::transport::set_timeout(
            &mut request,
            Duration::from_millis(self.config.step_timeout_ms),
        );
        request
    }

    /// Undoes what the order's saga may have done, in reverse, until every undo has gone
    /// through; then fails the order. Each undo is safe to repeat and to make for nothing.
    async fn compensate(&self, order: &mut Order) {
        let mut wait = Duration::from_millis(50);
        loop {
            match self.undo(order).await {
                Ok(()) => break,
                Err(status) => {
                    tracing::warn!(order_id = %order.id, code = ?status.code(), message = status.message(), "compensation failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
        order.state = State::Failed;
        if order.failure_reason.is_empty() {
            order.failure_reason = "the checkout did not complete".to_owned();
        }
        self.record(order).await;
    }

    async fn undo(&self, order: &Order) -> Result<(), Status> {
        let token = self.service_token.token().await?;
        let forgiving = |result: Result<(), Status>| match result {
            Err(status) if status.code() == Code::NotFound => Ok(()),
            other => other,
        };
        let cancel = shipping_pb::CancelShipmentRequest {
            shipment_id: String::new(),
            order_id: order.id.clone(),
        };
        forgiving(
            self.shipping
                .clone()
                .cancel_shipment(self.request(cancel, &token))
                .await
                .map(drop),
        )?;

        let listed = payments_pb::ListPaymentsForOrderRequest {
            order_id: order.id.clone(),
        };
        let payments = self
            .payments
            .clone()
            .list_payments_for_order(self.request(listed, &token))
            .await?
            .into_inner()
            .payments;
        for payment in payments {
            let key = format!("{}-undo-{}", order.id, payment.payment_id);
            if payment.state == payments_pb::PaymentState::Authorized as i32 {
                let void = payments_pb::VoidRequest {
                    idempotency_key: key,
                    payment_id: payment.payment_id,
                };
                self.payments
                    .clone()
                    .void(self.request(void, &token))
                    .await?;
            } else if payment.state == payments_pb::PaymentState::Captured as i32 {
                let refund = payments_pb::RefundRequest {
                    idempotency_key: key,
                    payment_id: payment.payment_id,
                };
                self.payments
                    .clone()
                    .refund(self.request(refund, &token))
                    .await?;
            }
        }

        let release = inventory_pb::ReleaseRequest {
            reservation_id: order.id.clone(),
        };
        forgiving(
            self.inventory
                .clone()
                .release(self.request(release, &token))
                .await
                .map(drop),
        )?;
        Ok(())
    }
}

/// Failures worth another try: the callee was away or slow.
fn transient(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::ResourceExhausted
            | Code::Aborted
    )
}

fn describe(step: Step, status: &Status) -> String {
    match (step, status.code()) {
        (Step::ReserveStock, Code::FailedPrecondition) => status.message().to_owned(),
        (_, Code::DeadlineExceeded | Code::Cancelled) => {
            format!("{} timed out", step.as_str().replace('_', " "))
        }
        (_, Code::Unavailable) => format!(
            "{} is unavailable: {}",
            step.as_str().replace('_', " "),
            status.message()
        ),
        _ => format!(
            "{} failed: {}",
            step.as_str().replace('_', " "),
            status.message()
        ),
    }
}

/// The span of one step of an order's saga, named `saga <step>`.
fn step_span(step: &str, order_id: &str) -> tracing::Span {
    tracing::info_span!(
        "saga",
        otel.name = format!("saga {step}"),
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
        emporium.service = "orders",
        saga.step = step,
        order_id = order_id,
    )
}

/// Counts a confirmed order and what it earned.
fn confirmed(order: &Order) {
    metrics::counter!("orders_confirmed_total").increment(1);
    let revenue = u64::try_from(order.total_minor).unwrap_or_default();
    metrics::counter!("orders_revenue_cents_total", "currency" => order.currency.clone())
        .increment(revenue);
}

fn rand_jitter() -> u64 {
    rand::random::<u64>() % 20
}
