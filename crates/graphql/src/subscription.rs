//! The subscriptions, over `graphql-transport-ws` at `/graphql/ws`: an order's states as its
//! saga moves it (the shopper's token, given in `connection_init`), and a product's stock level.

use async_graphql::{Context, Result, Subscription};
use futures_util::{Stream, StreamExt as _};
use platform::transport::request;

use crate::context::{services, token};
use crate::errors::GraphqlError;
use crate::types::{Order, Stock};

pub(crate) struct Subscription;

#[Subscription]
impl Subscription {
    /// The order now, then each state it moves to, ending once it is confirmed or failed.
    async fn order_updates(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> Result<impl Stream<Item = Result<Order>> + use<>> {
        let token = token(ctx)?;
        let updates = services(ctx)
            .orders
            .clone()
            .watch_order(request(
                proto::orders::WatchOrderRequest { order_id: id },
                &token,
            ))
            .await
            .map_err(GraphqlError::from)?
            .into_inner();
        Ok(updates.map(|update| {
            update
                .map(Order)
                .map_err(|status| GraphqlError::from(status).into())
        }))
    }

    /// The product's stock level now, then each change.
    async fn stock_level(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> Result<impl Stream<Item = Result<Stock>> + use<>> {
        let services = services(ctx);
        let token = services.service_token().await?;
        let levels = services
            .inventory
            .clone()
            .watch_stock(request(
                proto::inventory::WatchStockRequest {
                    skus: vec![sku.trim().to_ascii_uppercase()],
                },
                &token,
            ))
            .await
            .map_err(GraphqlError::from)?
            .into_inner();
        Ok(levels.map(|level| {
            level
                .map(Stock)
                .map_err(|status| GraphqlError::from(status).into())
        }))
    }
}
