//! Checkout: the address and card form, and placing the order. Each problem is shown next to
//! the field it names: the form's own checks (the same `platform::values` the services use) and
//! the orders service's answer, whose message starts with the field (`address.city: ...`).
//! The form carries an idempotency key made when it was shown, so posting it twice places one
//! order. The answer comes as soon as the order exists: the order page follows its saga live.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use platform::transport::request;
use platform::values::{Address, Card, Invalid};
use proto::orders as pb;
use serde::Deserialize;

use crate::Storefront;
use crate::error::PageError;
use crate::layout::{frame, see_other};
use crate::money;
use crate::visit::Visit;

/// The form as posted; field names are the paths the services' errors name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CheckoutForm {
    #[serde(rename = "address.name")]
    name: String,
    #[serde(rename = "address.line1")]
    line1: String,
    #[serde(rename = "address.line2")]
    line2: String,
    #[serde(rename = "address.city")]
    city: String,
    #[serde(rename = "address.postal_code")]
    postal_code: String,
    #[serde(rename = "address.country")]
    country: String,
    #[serde(rename = "card.number")]
    number: String,
    #[serde(rename = "card.exp_month")]
    exp_month: String,
    #[serde(rename = "card.exp_year")]
    exp_year: String,
    #[serde(rename = "card.cvc")]
    cvc: String,
    #[serde(rename = "card.holder")]
    holder: String,
    idempotency_key: String,
}

/// The form's fields in order: name, label, input type, autocomplete.
const ADDRESS_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("address.name", "Full name", "text", "name"),
    (
        "address.line1",
        "Street and number",
        "text",
        "address-line1",
    ),
    (
        "address.line2",
        "Flat, floor (optional)",
        "text",
        "address-line2",
    ),
    ("address.city", "City", "text", "address-level2"),
    ("address.postal_code", "Postal code", "text", "postal-code"),
    (
        "address.country",
        "Country code (such as US)",
        "text",
        "country",
    ),
];

const CARD_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("card.number", "Card number", "text", "cc-number"),
    (
        "card.exp_month",
        "Expiry month (1-12)",
        "text",
        "cc-exp-month",
    ),
    (
        "card.exp_year",
        "Expiry year (such as 2030)",
        "text",
        "cc-exp-year",
    ),
    ("card.cvc", "Security code", "text", "cc-csc"),
    ("card.holder", "Name on card", "text", "cc-name"),
];

impl CheckoutForm {
    fn value(&self, field: &str) -> &str {
        match field {
            "address.name" => &self.name,
            "address.line1" => &self.line1,
            "address.line2" => &self.line2,
            "address.city" => &self.city,
            "address.postal_code" => &self.postal_code,
            "address.country" => &self.country,
            "card.holder" => &self.holder,
            // The card's number and code are never sent back to the browser.
            _ => "",
        }
    }

    /// The address and card, or every field that failed its check.
    fn parse(&self) -> Result<(Address, Card), BTreeMap<String, String>> {
        let mut problems = BTreeMap::new();
        let mut note = |error: Invalid| {
            problems.insert(error.field.to_owned(), error.reason);
        };
        let address = Address::parse(
            &self.name,
            &self.line1,
            &self.line2,
            &self.city,
            &self.postal_code,
            &self.country,
        )
        .map_err(&mut note)
        .ok();
        let month = number("card.exp_month", &self.exp_month)
            .map_err(&mut note)
            .ok();
        let year = number("card.exp_year", &self.exp_year)
            .map_err(&mut note)
            .ok();
        let card = match (month, year) {
            (Some(month), Some(year)) => {
                Card::parse(&self.number, month, year, &self.cvc, &self.holder)
                    .map_err(&mut note)
                    .ok()
            }
            _ => None,
        };
        match (address, card) {
            (Some(address), Some(card)) if problems.is_empty() => Ok((address, card)),
            _ => Err(problems),
        }
    }
}

fn number(field: &'static str, text: &str) -> Result<u32, Invalid> {
    text.trim()
        .parse()
        .map_err(|_| Invalid::new(field, "must be a number"))
}

pub(crate) async fn page(
    State(storefront): State<Storefront>,
    visit: Visit,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in("/checkout")?;
    if let Some(placing) = order_being_placed(&storefront, &token).await? {
        return Ok(placing);
    }
    let form = CheckoutForm {
        name: visit.user().map(|user| user.name).unwrap_or_default(),
        idempotency_key: storefront.keys.random_string(18),
        ..CheckoutForm::default()
    };
    render(&storefront, &visit, &token, &form, &BTreeMap::new(), None).await
}

/// A page that sends the shopper to their newest order while its saga still runs: its cart is
/// emptied only when it is confirmed, and a second checkout of the same cart would buy it twice.
async fn order_being_placed(
    storefront: &Storefront,
    token: &str,
) -> Result<Option<Response>, PageError> {
    let newest = storefront
        .orders
        .clone()
        .list_orders(request(
            pb::ListOrdersRequest {
                page: Some(proto::common::PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
            },
            token,
        ))
        .await?
        .into_inner()
        .orders;
    Ok(newest
        .first()
        .filter(|order| !crate::orders::is_final(order.state))
        .map(|order| see_other(&format!("/orders/{}", order.order_id))))
}

pub(crate) async fn place(
    State(storefront): State<Storefront>,
    visit: Visit,
    Form(form): Form<CheckoutForm>,
) -> Result<Response, PageError> {
    let token = visit.token_or_sign_in("/checkout")?;
    let (address, card) = match form.parse() {
        Ok(parsed) => parsed,
        Err(problems) => return render(&storefront, &visit, &token, &form, &problems, None).await,
    };
    let message = place_request(&form.idempotency_key, address, &card);
    match storefront
        .orders
        .clone()
        .place_order(request(message, &token))
        .await
    {
        Ok(order) => {
            visit.update(|session| session.cart_count = 0);
            Ok(see_other(&format!(
                "/orders/{}",
                order.into_inner().order_id
            )))
        }
        Err(status) => refused(&storefront, &visit, &token, form, status).await,
    }
}

/// The order to place: its saga is followed live on the order page, so the answer comes as soon
/// as the order exists.
fn place_request(key: &str, address: Address, card: &Card) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        idempotency_key: key.to_owned(),
        address: Some(proto::common::Address {
            name: address.name,
            line1: address.line1,
            line2: address.line2,
            city: address.city,
            postal_code: address.postal_code,
            country: address.country,
        }),
        card: Some(proto::payments::Card {
            number: card.number.clone(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            cvc: card.cvc.clone(),
            holder: card.holder.clone(),
        }),
        return_at_once: true,
    }
}

/// The form again with what the orders service refused: a field's problem next to it, the
/// rest above the form.
async fn refused(
    storefront: &Storefront,
    visit: &Visit,
    token: &str,
    form: CheckoutForm,
    status: tonic::Status,
) -> Result<Response, PageError> {
    let known = ADDRESS_FIELDS
        .iter()
        .chain(CARD_FIELDS)
        .map(|field| field.0)
        .collect::<Vec<_>>();
    let none = BTreeMap::new();
    match status.code() {
        tonic::Code::InvalidArgument => match status.message().split_once(": ") {
            // "address.city: is required" goes next to the city.
            Some((field, reason)) if known.contains(&field) => {
                let problems = BTreeMap::from([(field.to_owned(), reason.to_owned())]);
                render(storefront, visit, token, &form, &problems, None).await
            }
            _ => {
                render(
                    storefront,
                    visit,
                    token,
                    &form,
                    &none,
                    Some(status.message()),
                )
                .await
            }
        },
        tonic::Code::FailedPrecondition if status.message().starts_with("idempotency_key") => {
            // This form placed an order with other details before (the back button): the
            // next submit is a new checkout.
            let form = CheckoutForm {
                idempotency_key: storefront.keys.random_string(18),
                ..form
            };
            let problem = "This form already placed an order with other details; see your orders. \
                 Submit again to place this one as a new order.";
            render(storefront, visit, token, &form, &none, Some(problem)).await
        }
        tonic::Code::FailedPrecondition => {
            render(
                storefront,
                visit,
                token,
                &form,
                &none,
                Some(status.message()),
            )
            .await
        }
        _ => Err(status.into()),
    }
}

async fn render(
    storefront: &Storefront,
    visit: &Visit,
    token: &str,
    form: &CheckoutForm,
    problems: &BTreeMap<String, String>,
    problem: Option<&str>,
) -> Result<Response, PageError> {
    let cart = storefront
        .cart
        .clone()
        .get_cart(request(proto::cart::GetCartRequest {}, token))
        .await?
        .into_inner();
    let csrf = visit.csrf_token();
    let refused = !problems.is_empty() || problem.is_some();
    let content = html! {
        h1 { "Checkout" }
        @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
        @if refused && !problems.is_empty() {
            p.problem role="alert" { "Please correct the fields marked below." }
        }
        @if cart.lines.is_empty() {
            p { "Your cart is empty. " a href="/" { "Keep shopping" } "." }
        } @else {
            section aria-labelledby="summary-heading" {
                h2 #summary-heading { "Your order" }
                ul { @for line in &cart.lines { li { (line.quantity) " × " (line.name) ": " (money::format(line.line_total.as_ref())) } } }
                p { "Total: " strong { (money::format(cart.total.as_ref())) } }
            }
            form.checkout method="post" action="/checkout" novalidate {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="idempotency_key" value=(form.idempotency_key);
                fieldset { legend { "Shipping address" } @for field in ADDRESS_FIELDS { (input(form, problems, field)) } }
                fieldset { legend { "Payment card" } @for field in CARD_FIELDS { (input(form, problems, field)) } }
                button type="submit" { "Place order" }
            }
        }
    };
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, frame(visit, "Checkout", content)).into_response())
}

fn input(
    form: &CheckoutForm,
    problems: &BTreeMap<String, String>,
    (name, label, kind, autocomplete): &(&str, &str, &str, &str),
) -> Markup {
    let id = name.replace('.', "-");
    let problem = problems.get(*name);
    let problem_id = format!("{id}-problem");
    let optional = *name == "address.line2" || *name == "card.holder";
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) autocomplete=(autocomplete) value=(form.value(name))
                required[!optional]
                aria-invalid=[problem.map(|_| "true")]
                aria-describedby=[problem.map(|_| problem_id.as_str())];
            @if let Some(problem) = problem {
                p.problem id=(problem_id) { (label) " " (problem) }
            }
        }
    }
}
