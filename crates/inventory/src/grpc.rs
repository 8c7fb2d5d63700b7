//! The `Inventory` gRPC service: proto messages in, domain types through, proto messages out;
//! `stock.rs` and `lib.rs` decide.

use std::pin::Pin;

use futures_util::Stream;
use futures_util::StreamExt as _;
use proto::inventory as pb;
use proto::inventory::inventory_server::{Inventory as InventoryRpc, InventoryServer};
use tonic::{Request, Response, Status};

use crate::domain::{self, Lines, State};
use crate::store::{Level, Reservation};
use proto::scopes::{INVENTORY_ADMIN, INVENTORY_READ, INVENTORY_RESERVE};

use crate::{Error, Inventory};

/// The gRPC face of an `Inventory`.
#[derive(Clone, Debug)]
pub struct InventoryGrpc {
    inventory: Inventory,
}

impl InventoryGrpc {
    pub(crate) fn server(inventory: Inventory) -> InventoryServer<InventoryGrpc> {
        InventoryServer::new(InventoryGrpc { inventory })
    }
}

type LevelStream = Pin<Box<dyn Stream<Item = Result<pb::StockLevel, Status>> + Send>>;

#[tonic::async_trait]
impl InventoryRpc for InventoryGrpc {
    async fn get_stock(
        &self,
        request: Request<pb::GetStockRequest>,
    ) -> Result<Response<pb::StockLevels>, Status> {
        platform::auth::authorize(&request, INVENTORY_READ)?;
        let skus = skus(&request.get_ref().skus)?;
        let levels = self.inventory.levels(&skus).await?;
        Ok(Response::new(pb::StockLevels {
            levels: levels.iter().map(level).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %request.get_ref().reservation_id))]
    async fn reserve(
        &self,
        request: Request<pb::ReserveRequest>,
    ) -> Result<Response<pb::Reservation>, Status> {
        platform::auth::authorize(&request, INVENTORY_RESERVE)?;
        let message = request.get_ref();
        let id = reservation_id(&message.reservation_id)?;
        let lines = Lines::parse(
            message
                .lines
                .iter()
                .map(|line| (line.sku.clone(), line.quantity)),
        )
        .map_err(Error::from)?;
        let ttl = domain::ttl_seconds(message.ttl_seconds).map_err(Error::from)?;
        let reservation = match self.inventory.reserve(&id, &lines, ttl).await {
            Err(short @ Error::Short { .. }) => {
                metrics::counter!("inventory_stockouts_total").increment(1);
                return Err(short.into());
            }
            reserved => reserved?,
        };
        Ok(Response::new(to_proto(&reservation)))
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %request.get_ref().reservation_id))]
    async fn commit(
        &self,
        request: Request<pb::CommitRequest>,
    ) -> Result<Response<pb::Reservation>, Status> {
        platform::auth::authorize(&request, INVENTORY_RESERVE)?;
        let id = reservation_id(&request.get_ref().reservation_id)?;
        Ok(Response::new(to_proto(
            &self.inventory.transition(&id, State::Committed).await?,
        )))
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %request.get_ref().reservation_id))]
    async fn release(
        &self,
        request: Request<pb::ReleaseRequest>,
    ) -> Result<Response<pb::Reservation>, Status> {
        platform::auth::authorize(&request, INVENTORY_RESERVE)?;
        let id = reservation_id(&request.get_ref().reservation_id)?;
        Ok(Response::new(to_proto(
            &self.inventory.transition(&id, State::Released).await?,
        )))
    }

    async fn set_stock(
        &self,
        request: Request<pb::SetStockRequest>,
    ) -> Result<Response<pb::StockLevel>, Status> {
        platform::auth::authorize(&request, INVENTORY_ADMIN)?;
        let message = request.get_ref();
        let sku = skus(std::slice::from_ref(&message.sku))?.remove(0);
        if message.on_hand < 0 {
            return Err(Error::from(domain::Invalid {
                field: "on_hand",
                reason: "must not be negative".to_owned(),
            })
            .into());
        }
        let updated = self.inventory.set_stock(&sku, message.on_hand).await?;
        Ok(Response::new(level(&updated)))
    }

    type WatchStockStream = LevelStream;

    async fn watch_stock(
        &self,
        request: Request<pb::WatchStockRequest>,
    ) -> Result<Response<LevelStream>, Status> {
        platform::auth::authorize(&request, INVENTORY_READ)?;
        let skus = skus(&request.get_ref().skus)?;
        let receiver = self.inventory.watch(skus).await?;
        let levels = tokio_stream::wrappers::ReceiverStream::new(receiver)
            .map(|changed| Ok(level(&changed)));
        Ok(Response::new(Box::pin(levels)))
    }
}

fn skus(raw: &[String]) -> Result<Vec<String>, Error> {
    if raw.is_empty() || raw.len() > domain::MAX_LINES {
        return Err(domain::Invalid {
            field: "skus",
            reason: format!("name 1 to {} skus", domain::MAX_LINES),
        }
        .into());
    }
    let lines = Lines::parse(raw.iter().map(|sku| (sku.clone(), 1)))?;
    Ok(lines.skus().map(str::to_owned).collect())
}

fn reservation_id(raw: &str) -> Result<String, Error> {
    let id = raw.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    {
        return Err(domain::Invalid {
            field: "reservation_id",
            reason: "must be 1 to 64 letters, digits, dashes or underscores".to_owned(),
        }
        .into());
    }
    Ok(id.to_owned())
}

fn level(level: &Level) -> pb::StockLevel {
    pb::StockLevel {
        sku: level.sku.clone(),
        on_hand: level.on_hand,
        reserved: level.reserved,
        available: level.available(),
    }
}

fn to_proto(reservation: &Reservation) -> pb::Reservation {
    let state = match reservation.state {
        State::Held => pb::ReservationState::Held,
        State::Committed => pb::ReservationState::Committed,
        State::Released => pb::ReservationState::Released,
        State::Expired => pb::ReservationState::Expired,
    };
    pb::Reservation {
        reservation_id: reservation.id.clone(),
        lines: reservation
            .lines
            .iter()
            .map(|(sku, quantity)| pb::ReservationLine {
                sku: sku.to_owned(),
                quantity: quantity as u32,
            })
            .collect(),
        state: state as i32,
        expires_at_unix: reservation.expires_at,
    }
}
