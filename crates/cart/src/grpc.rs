//! The `Cart` gRPC service: checks the caller, keeps the lines, prices them from the catalog.

use proto::cart as pb;
use proto::cart::cart_server::{Cart as CartRpc, CartServer};
use proto::catalog as catalog_pb;
use tonic::{Request, Response, Status};

use crate::domain::{parse_quantity, parse_sku};
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
struct Caller {
    user_id: String,
    token: String,
}

fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    let principal = platform::auth::authorize(request, proto::scopes::CART)?;
    if !principal.is_user() {
        return Err(Status::permission_denied(
            "a cart belongs to a user; this token is a service's",
        ));
    }
    Ok(Caller {
        user_id: principal.subject().to_owned(),
        token: principal.token().to_owned(),
    })
}

#[tonic::async_trait]
impl CartRpc for CartGrpc {
    async fn get_cart(
        &self,
        request: Request<pb::GetCartRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(self.view(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %request.get_ref().sku, quantity = request.get_ref().quantity))]
    async fn add_item(
        &self,
        request: Request<pb::AddItemRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let caller = caller(&request)?;
        let sku = parse_sku(&request.get_ref().sku).map_err(Error::from)?;
        let quantity =
            parse_quantity(request.get_ref().quantity, self.cart.limits).map_err(Error::from)?;
        self.ensure_product_exists(&caller, &sku).await?;
        self.cart
            .store
            .add(
                &caller.user_id,
                &sku,
                quantity,
                self.cart.limits.max_quantity_per_line,
                self.cart.limits.max_lines,
                platform::unix_now(),
            )
            .await?;
        Ok(Response::new(self.view(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %request.get_ref().sku, quantity = request.get_ref().quantity))]
    async fn set_quantity(
        &self,
        request: Request<pb::SetQuantityRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let caller = caller(&request)?;
        let sku = parse_sku(&request.get_ref().sku).map_err(Error::from)?;
        if request.get_ref().quantity == 0 {
            self.cart.store.remove(&caller.user_id, &sku).await?;
        } else {
            let quantity = parse_quantity(request.get_ref().quantity, self.cart.limits)
                .map_err(Error::from)?;
            self.ensure_product_exists(&caller, &sku).await?;
            self.cart
                .store
                .set(
                    &caller.user_id,
                    &sku,
                    quantity,
                    self.cart.limits.max_lines,
                    platform::unix_now(),
                )
                .await?;
        }
        Ok(Response::new(self.view(&caller).await?))
    }

    async fn remove_item(
        &self,
        request: Request<pb::RemoveItemRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let caller = caller(&request)?;
        let sku = parse_sku(&request.get_ref().sku).map_err(Error::from)?;
        self.cart.store.remove(&caller.user_id, &sku).await?;
        Ok(Response::new(self.view(&caller).await?))
    }

    async fn clear_cart(
        &self,
        request: Request<pb::ClearCartRequest>,
    ) -> Result<Response<pb::CartView>, Status> {
        let caller = caller(&request)?;
        self.cart.store.clear(&caller.user_id).await?;
        // Empty now: nothing to read back.
        Ok(Response::new(pb::CartView {
            user_id: caller.user_id.clone(),
            lines: Vec::new(),
            total: None,
            item_count: 0,
        }))
    }
}

impl CartGrpc {
    async fn ensure_product_exists(&self, caller: &Caller, sku: &str) -> Result<(), Error> {
        let request = platform::transport::request(
            catalog_pb::GetProductRequest {
                sku: sku.to_owned(),
            },
            &caller.token,
        );
        match self.cart.catalog.clone().get_product(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::NotFound => {
                Err(Error::UnknownSku(sku.to_owned()))
            }
            Err(status) => Err(Error::Catalog(status)),
        }
    }

    /// The cart with current catalog prices; lines whose product is gone show as unavailable.
    async fn view(&self, caller: &Caller) -> Result<pb::CartView, Error> {
        let lines = self.cart.store.lines(&caller.user_id).await?;
        let products = if lines.is_empty() {
            Vec::new()
        } else {
            let skus = lines.iter().map(|(sku, _)| sku.clone()).collect();
            let request = platform::transport::request(
                catalog_pb::BatchGetProductsRequest { skus },
                &caller.token,
            );
            self.cart
                .catalog
                .clone()
                .batch_get_products(request)
                .await
                .map_err(Error::Catalog)?
                .into_inner()
                .products
        };
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
        Ok(pb::CartView {
            user_id: caller.user_id.clone(),
            lines,
            total,
            item_count,
        })
    }
}
