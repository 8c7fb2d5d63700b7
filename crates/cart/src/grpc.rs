//! The `Cart` gRPC service: checks the caller, converts messages for `lines.rs`, which keeps the
//! lines, and prices what it answers into a view.

use proto::cart as pb;
use proto::cart::cart_server::{Cart as CartRpc, CartServer};
use tonic::{Request, Response, Status};

use crate::domain::{parse_quantity, parse_sku};
use crate::lines::{Contents, Shopper};
use crate::{Cart, Error};

/// The gRPC face of a `Cart`.
#[derive(Clone, Debug)]
pub struct CartGrpc {
    cart: Cart,
}

impl CartGrpc {
    pub(crate) fn server(cart: Cart) -> CartServer<CartGrpc> {
        CartServer::new(CartGrpc { cart })
    }
}

/// The user a call is for, and the token to price their cart with.
fn shopper<T>(request: &Request<T>) -> Result<Shopper, Status> {
    let principal = platform::auth::authorize(request, proto::scopes::CART)?;
    if !principal.is_user() {
        return Err(Status::permission_denied(
            "a cart belongs to a user; this token is a service's",
        ));
    }
    Ok(Shopper {
        user_id: principal.subject().to_owned(),
        token: principal.token().to_owned(),
    })
}

type ShopStream = tokio_stream::wrappers::ReceiverStream<Result<pb::ShopEvent, Status>>;

#[tonic::async_trait]
impl CartRpc for CartGrpc {
    type ShopStream = ShopStream;

    async fn shop(
        &self,
        request: Request<tonic::Streaming<pb::ShopRequest>>,
    ) -> Result<Response<ShopStream>, Status> {
        let shopper = shopper(&request)?;
        let events = self.cart.session(shopper, request.into_inner());
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(
            events,
        )))
    }

    async fn get_cart(
        &self,
        request: Request<pb::GetCartRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let shopper = shopper(&request)?;
        let contents = self.cart.contents(&shopper).await?;
        Ok(Response::new(view(&shopper, contents)))
    }

    #[tracing::instrument(skip_all, fields(sku = %request.get_ref().sku, quantity = request.get_ref().quantity))]
    async fn add_item(
        &self,
        request: Request<pb::AddItemRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let shopper = shopper(&request)?;
        let sku = parse_sku(&request.get_ref().sku).map_err(Error::from)?;
        let quantity =
            parse_quantity(request.get_ref().quantity, self.cart.limits).map_err(Error::from)?;
        let contents = self.cart.add(&shopper, &sku, quantity).await?;
        Ok(Response::new(view(&shopper, contents)))
    }

    #[tracing::instrument(skip_all, fields(sku = %request.get_ref().sku, quantity = request.get_ref().quantity))]
    async fn set_quantity(
        &self,
        request: Request<pb::SetQuantityRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let shopper = shopper(&request)?;
        let sku = parse_sku(&request.get_ref().sku).map_err(Error::from)?;
        // A quantity of zero removes the line.
        let contents = match request.get_ref().quantity {
            0 => self.cart.remove(&shopper, &sku).await?,
            quantity => {
                let quantity = parse_quantity(quantity, self.cart.limits).map_err(Error::from)?;
                self.cart.set(&shopper, &sku, quantity).await?
            }
        };
        Ok(Response::new(view(&shopper, contents)))
    }

    async fn remove_item(
        &self,
        request: Request<pb::RemoveItemRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let shopper = shopper(&request)?;
        let sku = parse_sku(&request.get_ref().sku).map_err(Error::from)?;
        let contents = self.cart.remove(&shopper, &sku).await?;
        Ok(Response::new(view(&shopper, contents)))
    }

    async fn clear_cart(
        &self,
        request: Request<pb::ClearCartRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let shopper = shopper(&request)?;
        let contents = self.cart.clear(&shopper).await?;
        Ok(Response::new(view(&shopper, contents)))
    }
}

/// The cart priced from its products; lines whose product is gone show as unavailable.
pub(crate) fn view(shopper: &Shopper, contents: Contents) -> pb::CartView {
    let Contents { lines, products } = contents;
    let mut total: Option<proto::common::Money> = None;
    let mut item_count = 0u32;
    let lines = lines
        .into_iter()
        .map(|(sku, quantity)| {
            let quantity = u32::try_from(quantity).unwrap_or(u32::MAX);
            let product = products.iter().find(|product| product.sku == sku);
            let unit_price = product.and_then(|product| product.price.clone());
            let line_total = unit_price.as_ref().map(|price| proto::common::Money {
                minor_units: price.minor_units.saturating_mul(i64::from(quantity)),
                currency: price.currency.clone(),
            });
            if let Some(line_total) = &line_total {
                item_count += quantity;
                let sum = total.get_or_insert_with(|| proto::common::Money {
                    minor_units: 0,
                    currency: line_total.currency.clone(),
                });
                // The catalog prices in one currency; a line in another would be a catalog bug.
                if sum.currency == line_total.currency {
                    sum.minor_units = sum.minor_units.saturating_add(line_total.minor_units);
                }
            }
            pb::CartLine {
                name: product
                    .map(|product| product.name.clone())
                    .unwrap_or_default(),
                available: product.is_some(),
                sku,
                quantity,
                unit_price,
                line_total,
            }
        })
        .collect();
    pb::CartView {
        user_id: shopper.user_id.clone(),
        lines,
        total,
        item_count,
    }
}
