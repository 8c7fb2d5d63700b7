//! The schema's object types, each over the service's own message: products (with their category
//! and stock through the loaders), categories, stock, money, carts and orders.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, Json, Object, Result, SimpleObject};
use proto::catalog as catalog_pb;
use proto::inventory as inventory_pb;
use proto::orders as orders_pb;

use crate::loaders::{CategoryLoader, OrderDetailLoader, ProductLoader, StockLoader};

/// An amount of money in minor units (cents) of a currency.
pub(crate) struct Money(pub(crate) proto::common::Money);

#[Object]
impl Money {
    /// The amount in the currency's minor unit (5399 is $53.99).
    async fn minor_units(&self) -> i64 {
        self.0.minor_units
    }
    /// ISO 4217, such as USD.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The amount in major units with two decimals, such as "53.99".
    async fn amount(&self) -> String {
        let units = self.0.minor_units.unsigned_abs();
        let sign = if self.0.minor_units < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", units / 100, units % 100)
    }
}

fn money(value: Option<proto::common::Money>) -> Option<Money> {
    value.map(Money)
}

/// A picture of a product.
#[derive(SimpleObject)]
pub(crate) struct Image {
    /// The picture's URL (SVG, which scales to any size).
    url: String,
    /// A text for people who cannot see it.
    alt: String,
}

/// A product the shop sells.
pub(crate) struct Product(pub(crate) catalog_pb::Product);

#[Object]
impl Product {
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn price(&self) -> Option<Money> {
        money(self.0.price.clone())
    }
    async fn images(&self) -> Vec<Image> {
        self.0
            .image_urls
            .iter()
            .enumerate()
            .map(|(index, url)| Image {
                url: url.clone(),
                alt: if index == 0 {
                    self.0.name.clone()
                } else {
                    format!("{}, view {}", self.0.name, index + 1)
                },
            })
            .collect()
    }
    /// The product's attributes as the catalog keeps them (brand, colour, material, sizes...).
    async fn attributes(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.attributes_json).unwrap_or_default())
    }
    /// When it was added, in Unix seconds.
    async fn created_at(&self) -> i64 {
        self.0.created_at_unix
    }
    /// Its category (batched: one call for every category a query asks for).
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        let loader = ctx.data_unchecked::<DataLoader<CategoryLoader>>();
        Ok(loader
            .load_one(self.0.category.clone())
            .await?
            .map(Category))
    }
    /// How many can be bought now (batched: one call per hundred products).
    async fn stock(&self, ctx: &Context<'_>) -> Result<Option<Stock>> {
        let loader = ctx.data_unchecked::<DataLoader<StockLoader>>();
        Ok(loader.load_one(self.0.sku.clone()).await?.map(Stock))
    }
    /// What shoppers bought with it, most often first (one call per product asked).
    #[graphql(complexity = "first.clamp(1, 50) as usize * child_complexity + 10")]
    async fn also_bought(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 8)] first: i32,
    ) -> Result<Vec<Product>> {
        crate::search::recommended(ctx, vec![self.0.sku.clone()], first).await
    }
    /// The products nearest in meaning, nearest first (one catalog call per product asked).
    #[graphql(complexity = "first.clamp(1, 50) as usize * child_complexity + 10")]
    async fn similar(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 8)] first: i32,
    ) -> Result<Vec<Product>> {
        crate::search::similar(ctx, &self.0.sku, first).await
    }
}

/// A group of products.
pub(crate) struct Category(pub(crate) catalog_pb::Category);

#[Object]
impl Category {
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn product_count(&self) -> u32 {
        self.0.product_count
    }
}

/// A product's stock.
pub(crate) struct Stock(pub(crate) inventory_pb::StockLevel);

#[Object]
impl Stock {
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    /// What can be sold now: on hand less what open orders hold.
    async fn available(&self) -> i64 {
        self.0.available
    }
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }
}

/// The shopper's cart, priced from the catalog.
pub(crate) struct Cart(pub(crate) proto::cart::CartView);

#[Object]
impl Cart {
    async fn lines(&self) -> Vec<CartLine> {
        self.0.lines.iter().cloned().map(CartLine).collect()
    }
    async fn total(&self) -> Option<Money> {
        money(self.0.total.clone())
    }
    async fn item_count(&self) -> u32 {
        self.0.item_count
    }
}

/// A product in the cart.
pub(crate) struct CartLine(proto::cart::CartLine);

#[Object]
impl CartLine {
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn quantity(&self) -> u32 {
        self.0.quantity
    }
    async fn unit_price(&self) -> Option<Money> {
        money(self.0.unit_price.clone())
    }
    async fn line_total(&self) -> Option<Money> {
        money(self.0.line_total.clone())
    }
    /// False when the catalog no longer sells it.
    async fn available(&self) -> bool {
        self.0.available
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        product(ctx, &self.0.sku).await
    }
}

async fn product(ctx: &Context<'_>, sku: &str) -> Result<Option<Product>> {
    let loader = ctx.data_unchecked::<DataLoader<ProductLoader>>();
    Ok(loader.load_one(sku.to_owned()).await?.map(Product))
}

/// Where an order is in its checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub(crate) enum OrderState {
    Pending,
    StockReserved,
    PaymentAuthorized,
    ShipmentCreated,
    PaymentCaptured,
    Confirmed,
    Compensating,
    Failed,
}

impl OrderState {
    fn from_proto(state: i32) -> OrderState {
        use orders_pb::OrderState as Pb;
        match Pb::try_from(state) {
            Ok(Pb::StockReserved) => OrderState::StockReserved,
            Ok(Pb::PaymentAuthorized) => OrderState::PaymentAuthorized,
            Ok(Pb::ShipmentCreated) => OrderState::ShipmentCreated,
            Ok(Pb::PaymentCaptured) => OrderState::PaymentCaptured,
            Ok(Pb::Confirmed) => OrderState::Confirmed,
            Ok(Pb::Compensating) => OrderState::Compensating,
            Ok(Pb::Failed) => OrderState::Failed,
            _ => OrderState::Pending,
        }
    }
}

/// One of the shopper's orders.
pub(crate) struct Order(pub(crate) orders_pb::Order);

#[Object]
impl Order {
    async fn id(&self) -> &str {
        &self.0.order_id
    }
    async fn state(&self) -> OrderState {
        OrderState::from_proto(self.0.state)
    }
    async fn lines(&self) -> Vec<OrderLine> {
        self.0.lines.iter().cloned().map(OrderLine).collect()
    }
    async fn total(&self) -> Option<Money> {
        money(self.0.total.clone())
    }
    /// Why it failed, when it did.
    async fn failure_reason(&self) -> Option<&str> {
        Some(self.0.failure_reason.as_str()).filter(|reason| !reason.is_empty())
    }
    async fn created_at(&self) -> i64 {
        self.0.created_at_unix
    }
    async fn updated_at(&self) -> i64 {
        self.0.updated_at_unix
    }
    /// The payment as the payments service knows it now (one call per order, which asks
    /// payments and shipping: it costs 10).
    #[graphql(complexity = 10)]
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        Ok(self
            .detail(ctx)
            .await?
            .and_then(|order| order.payment)
            .map(Payment))
    }
    /// The shipment as the shipping service knows it now (one call per order: it costs 10).
    #[graphql(complexity = 10)]
    async fn shipment(&self, ctx: &Context<'_>) -> Result<Option<Shipment>> {
        Ok(self
            .detail(ctx)
            .await?
            .and_then(|order| order.shipment)
            .map(Shipment))
    }
}

impl Order {
    async fn detail(&self, ctx: &Context<'_>) -> Result<Option<orders_pb::Order>> {
        if self.0.payment.is_some() || self.0.shipment.is_some() {
            return Ok(Some(self.0.clone()));
        }
        let loader = ctx.data_unchecked::<DataLoader<OrderDetailLoader>>();
        Ok(loader.load_one(self.0.order_id.clone()).await?)
    }
}

/// A product in an order, at the price it was bought for.
pub(crate) struct OrderLine(orders_pb::OrderLine);

#[Object]
impl OrderLine {
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn quantity(&self) -> u32 {
        self.0.quantity
    }
    async fn unit_price(&self) -> Option<Money> {
        money(self.0.unit_price.clone())
    }
    /// The product as the catalog has it now (batched across every line of every order).
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        product(ctx, &self.0.sku).await
    }
}

/// An order's payment.
pub(crate) struct Payment(orders_pb::OrderPayment);

#[Object]
impl Payment {
    async fn id(&self) -> &str {
        &self.0.payment_id
    }
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn card_last4(&self) -> &str {
        &self.0.card_last4
    }
    async fn decline_reason(&self) -> Option<&str> {
        Some(self.0.decline_reason.as_str()).filter(|reason| !reason.is_empty())
    }
}

/// An order's parcel.
pub(crate) struct Shipment(orders_pb::OrderShipment);

/// A step of a parcel's journey.
#[derive(SimpleObject)]
pub(crate) struct TrackingEvent {
    /// Unix seconds.
    at: i64,
    description: String,
}

#[Object]
impl Shipment {
    async fn id(&self) -> &str {
        &self.0.shipment_id
    }
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn tracking_number(&self) -> &str {
        &self.0.tracking_number
    }
    async fn events(&self) -> Vec<TrackingEvent> {
        self.0
            .events
            .iter()
            .map(|event| TrackingEvent {
                at: event.at_unix,
                description: event.description.clone(),
            })
            .collect()
    }
}
