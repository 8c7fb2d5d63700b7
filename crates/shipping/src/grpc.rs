//! The `Shipping` gRPC service: proto messages in, domain types through, proto messages out;
//! `shipments.rs` decides.

use proto::shipping as pb;
use proto::shipping::shipping_server::{Shipping as ShippingRpc, ShippingServer};
use tonic::{Request, Response, Status};

use crate::domain::{self, Address, Invalid, State};
use crate::store::Shipment;
use proto::scopes::{SHIPPING_READ, SHIPPING_WRITE};

use crate::{Error, Shipping};

/// The gRPC face of `Shipping`.
#[derive(Clone, Debug)]
pub struct ShippingGrpc {
    shipping: Shipping,
}

impl ShippingGrpc {
    pub(crate) fn server(shipping: Shipping) -> ShippingServer<ShippingGrpc> {
        ShippingServer::new(ShippingGrpc { shipping })
    }
}

#[tonic::async_trait]
impl ShippingRpc for ShippingGrpc {
    async fn quote(
        &self,
        request: Request<pb::QuoteRequest>,
    ) -> Result<Response<pb::QuoteResponse>, Status> {
        platform::auth::authorize_any(&request, &[SHIPPING_READ, SHIPPING_WRITE])?;
        let message = request.get_ref();
        let address = address(message.address.as_ref())?;
        let (cost, days) = domain::quote(&address, message.weight_grams).map_err(Error::from)?;
        Ok(Response::new(pb::QuoteResponse {
            cost: Some(usd(cost)),
            estimated_days: days,
        }))
    }

    #[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
    async fn create_shipment(
        &self,
        request: Request<pb::CreateShipmentRequest>,
    ) -> Result<Response<pb::Shipment>, Status> {
        platform::auth::authorize(&request, SHIPPING_WRITE)?;
        if self.shipping.faults.fails("shipping.unavailable") {
            return Err(Status::unavailable(
                "the carrier is not taking shipments now",
            ));
        }
        let message = request.get_ref();
        let order_id = message.order_id.trim();
        if order_id.is_empty() || order_id.len() > 64 {
            return Err(Error::from(Invalid {
                field: "order_id",
                reason: "must be 1 to 64 characters".to_owned(),
            })
            .into());
        }
        let address = address(message.address.as_ref())?;
        let shipment = self
            .shipping
            .create_shipment(order_id, &address, message.weight_grams)
            .await?;
        Ok(Response::new(to_proto(&shipment)))
    }

    #[tracing::instrument(skip_all, fields(shipment_id = %request.get_ref().shipment_id))]
    async fn cancel_shipment(
        &self,
        request: Request<pb::CancelShipmentRequest>,
    ) -> Result<Response<pb::Shipment>, Status> {
        platform::auth::authorize(&request, SHIPPING_WRITE)?;
        let message = request.get_ref();
        let shipment = match (message.shipment_id.trim(), message.order_id.trim()) {
            ("", "") => {
                return Err(Error::from(Invalid {
                    field: "shipment_id",
                    reason: "or order_id is required".to_owned(),
                })
                .into());
            }
            ("", order_id) => self.shipping.cancel_for_order(order_id).await?,
            (id, _) => self.shipping.cancel(id).await?,
        };
        Ok(Response::new(to_proto(&shipment)))
    }

    async fn get_shipment(
        &self,
        request: Request<pb::GetShipmentRequest>,
    ) -> Result<Response<pb::Shipment>, Status> {
        platform::auth::authorize_any(&request, &[SHIPPING_READ, SHIPPING_WRITE])?;
        let id = request.get_ref().shipment_id.trim();
        let shipment = self.shipping.shipment(id).await?;
        Ok(Response::new(to_proto(&shipment)))
    }
}

fn address(address: Option<&proto::common::Address>) -> Result<Address, Error> {
    let address = address.ok_or_else(|| Invalid {
        field: "address",
        reason: "is required".to_owned(),
    })?;
    Ok(Address::parse(
        &address.name,
        &address.line1,
        &address.line2,
        &address.city,
        &address.postal_code,
        &address.country,
    )?)
}

fn usd(minor_units: i64) -> proto::common::Money {
    proto::common::Money {
        minor_units,
        currency: "USD".to_owned(),
    }
}

fn to_proto(shipment: &Shipment) -> pb::Shipment {
    let state = match shipment.state {
        State::Created => pb::ShipmentState::Created,
        State::InTransit => pb::ShipmentState::InTransit,
        State::Delivered => pb::ShipmentState::Delivered,
        State::Cancelled => pb::ShipmentState::Cancelled,
    };
    pb::Shipment {
        shipment_id: shipment.id.clone(),
        order_id: shipment.order_id.clone(),
        tracking_number: shipment.tracking_number.clone(),
        state: state as i32,
        cost: Some(usd(shipment.cost_minor)),
        events: shipment
            .events
            .iter()
            .map(|(at, description)| pb::TrackingEvent {
                at_unix: *at,
                description: description.clone(),
            })
            .collect(),
    }
}
