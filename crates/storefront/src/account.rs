//! The shopper's account: who they are signed in as, and the doors to their orders and to
//! signing out.

use axum::response::{IntoResponse, Response};
use maud::html;

use crate::error::PageError;
use crate::layout::frame;
use crate::visit::Visit;

pub(crate) async fn page(visit: Visit) -> Result<Response, PageError> {
    let Some(user) = visit.user() else {
        return Err(PageError::sign_in("/account"));
    };
    let csrf = visit.csrf_token();
    let content = html! {
        h1 { "Your account" }
        dl.attributes {
            dt { "Name" } dd { (user.name) }
            dt { "Email" } dd { (user.email) }
        }
        p { a href="/orders" { "Your orders" } }
        p { a href="/cart" { "Your cart" } }
        form method="post" action="/logout" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Sign out" }
        }
    };
    Ok(frame(&visit, "Your account", content).into_response())
}
