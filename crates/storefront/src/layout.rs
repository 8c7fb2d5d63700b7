//! The frame of every page: a skip link, the header with the shop's name, search, the cart and
//! the account, the page's own content in `main`, and a footer with the API's doors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::visit::Visit;

/// A full page for `visit`.
pub(crate) fn frame(visit: &Visit, title: &str, content: Markup) -> Markup {
    let session = visit.session();
    let items = session.items_in_cart();
    let signed_in = session.user.as_ref().map(|user| user.name.clone());
    let csrf = signed_in.as_ref().map(|_| visit.csrf_token());
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/" { "Emporium" }
                    form.search role="search" method="get" action="/search" {
                        label.visually-hidden for="q" { "Search products" }
                        input #q type="search" name="q" placeholder="Search products";
                        button type="submit" { "Search" }
                    }
                    nav aria-label="Your shop" {
                        a href="/assistant" { "Ask" }
                        a href="/cart" { "Cart" @if items > 0 { " (" span #cart-count { (items) } ")" } }
                        @if let (Some(name), Some(csrf)) = (&signed_in, &csrf) {
                            a href="/orders" { "Orders" }
                            a href="/account" { (name) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        } @else {
                            a href="/login" { "Sign in" }
                            a href="/signup" { "Create account" }
                        }
                    }
                }
                main #main tabindex="-1" {
                    (content)
                }
                footer.site {
                    p {
                        "Emporium, a reference shop. For machines: "
                        a href="/api/docs" { "REST API" } ", "
                        a href="/api/openapi.json" { "OpenAPI" } "."
                    }
                }
            }
        }
    }
}

pub(crate) fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Emporium" }
            link rel="stylesheet" href=(crate::assets::STYLE.url());
            script src=(crate::assets::SCRIPT.url()) defer {}
        }
    }
}

/// A page for when the rest cannot be shown: the status and what happened.
pub(crate) fn bare_page(title: &str, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.site { a.brand href="/" { "Emporium" } }
                main #main {
                    h1 { (title) }
                    p { (message) }
                    p { a href="/" { "Back to the shop" } }
                }
            }
        }
    }
}

/// `303 See Other` to `location`: where a form's post sends the browser next.
pub(crate) fn see_other(location: &str) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
}

/// A product's picture: SVG drawings scale to any screen, so one source serves every density
/// (no `srcset`); width and height keep the layout from jumping while it loads.
pub(crate) fn picture(url: &str, alt: &str, size: u32, lazy: bool) -> Markup {
    html! {
        img src=(url) alt=(alt) width=(size) height=(size)
            loading=(if lazy { "lazy" } else { "eager" }) decoding="async";
    }
}
