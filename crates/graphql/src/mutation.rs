//! The mutations: change the cart, and check out with an idempotency key (the same key gets
//! the same order, as `Idempotency-Key` does over REST). All need the shopper's token.

use async_graphql::{Context, InputObject, Object, Result};
use platform::transport::request;
use proto::cart as cart_pb;

use crate::context::{calls, services, token};
use crate::errors::GraphqlError;
use crate::types::{Cart, Order};

pub(crate) struct Mutation;

/// Where the parcel goes.
#[derive(InputObject)]
pub(crate) struct AddressInput {
    name: String,
    line1: String,
    #[graphql(default)]
    line2: String,
    city: String,
    postal_code: String,
    /// ISO 3166-1 alpha-2, such as US.
    country: String,
}

/// The card to pay with.
#[derive(InputObject)]
pub(crate) struct CardInput {
    number: String,
    exp_month: u32,
    exp_year: u32,
    cvc: String,
    #[graphql(default)]
    holder: String,
}

#[Object]
impl Mutation {
    /// Adds `quantity` (1 by default) of a product to the cart.
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        sku: String,
        #[graphql(default = 1)] quantity: u32,
    ) -> Result<Cart> {
        let token = token(ctx)?;
        calls(ctx).count("cart.AddItem");
        let message = cart_pb::AddItemRequest { sku, quantity };
        let view = services(ctx)
            .cart
            .clone()
            .add_item(request(message, &token))
            .await;
        Ok(Cart(view.map_err(GraphqlError::from)?.into_inner()))
    }

    /// Sets how many of a product the cart holds.
    async fn set_cart_quantity(
        &self,
        ctx: &Context<'_>,
        sku: String,
        quantity: u32,
    ) -> Result<Cart> {
        let token = token(ctx)?;
        calls(ctx).count("cart.SetQuantity");
        let message = cart_pb::SetQuantityRequest { sku, quantity };
        let view = services(ctx)
            .cart
            .clone()
            .set_quantity(request(message, &token))
            .await;
        Ok(Cart(view.map_err(GraphqlError::from)?.into_inner()))
    }

    /// Takes a product out of the cart.
    async fn remove_from_cart(&self, ctx: &Context<'_>, sku: String) -> Result<Cart> {
        let token = token(ctx)?;
        calls(ctx).count("cart.RemoveItem");
        let message = cart_pb::RemoveItemRequest { sku };
        let view = services(ctx)
            .cart
            .clone()
            .remove_item(request(message, &token))
            .await;
        Ok(Cart(view.map_err(GraphqlError::from)?.into_inner()))
    }

    /// Checks out the cart; the answer is the order at the end of its saga (confirmed, or
    /// failed with a reason). The same `idempotencyKey` again gets the same order.
    async fn checkout(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        address: AddressInput,
        card: CardInput,
    ) -> Result<Order> {
        let token = token(ctx)?;
        calls(ctx).count("orders.PlaceOrder");
        let message = proto::orders::PlaceOrderRequest {
            idempotency_key,
            address: Some(proto::common::Address {
                name: address.name,
                line1: address.line1,
                line2: address.line2,
                city: address.city,
                postal_code: address.postal_code,
                country: address.country,
            }),
            card: Some(proto::payments::Card {
                number: card.number,
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                cvc: card.cvc,
                holder: card.holder,
            }),
            return_at_once: false,
        };
        let placed = services(ctx)
            .orders
            .clone()
            .place_order(request(message, &token))
            .await;
        Ok(Order(placed.map_err(GraphqlError::from)?.into_inner()))
    }
}
