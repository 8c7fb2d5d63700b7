//! The storefront as a person without JavaScript uses it: browse, filter, search, add to the
//! cart, sign up through the OpenID Connect provider (the authorization-code flow with PKCE),
//! check out, see the order and sign out; and what keeps the session safe (a sealed cookie,
//! CSRF tokens bound to one session, revocation at sign-out).

use serde_json::json;

use crate::TestShop;
use crate::browser::{Browser, Page, hidden_fields, post_action};
use crate::checkout::{set_stock, stock};

const SKU: &str = "KIT-00003";

/// Signs up as a new shopper from any page that sent the browser to the provider's sign-in
/// form; returns the page the storefront came back to.
async fn sign_up_at_provider(browser: &mut Browser, form: Page, email: &str) -> Page {
    assert!(form.url.contains("/oauth2/authorize"), "{}", form.url);
    // The sign-in form links to the sign-up form of the same request.
    let link = form
        .html
        .split("href=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|url| url.contains("prompt=create"))
        })
        .expect("a link to create an account")
        .replace("&amp;", "&");
    let signup = browser.get(&link).await;
    assert!(signup.html.contains("name=\"display_name\""));
    let mut fields = hidden_fields(&signup.html);
    for (name, value) in [
        ("display_name", "Grace Hopper"),
        ("email", email),
        ("password", "correct horse battery"),
    ] {
        fields.push((name.to_owned(), value.to_owned()));
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    browser.post(&post_action(&signup.html), &fields).await
}

/// The order page once its saga has ended, reloaded as a person without JavaScript would.
async fn settled(browser: &mut Browser, order: Page) -> Page {
    let mut page = order;
    for _ in 0..100 {
        if page.html.contains(">Confirmed<") || page.html.contains(">Failed<") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = browser.get(&page.url.clone()).await;
    }
    panic!("the order did not settle: {}", page.html);
}

/// A checkout form with a good address and card, for `name`, posted with `csrf` and `key`.
fn checkout_form<'a>(csrf: &'a str, key: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("idempotency_key", key),
        ("address.name", name),
        ("address.line1", "1 Main St"),
        ("address.city", "Springfield"),
        ("address.postal_code", "12345"),
        ("address.country", "US"),
        ("card.number", "4242424242424242"),
        ("card.exp_month", "12"),
        ("card.exp_year", "2031"),
        ("card.cvc", "123"),
    ]
}

fn email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_shopper_browses_signs_up_and_buys_without_javascript() {
    let shop = TestShop::spawn("sqlite").await;
    set_stock(&shop, SKU, 20).await;
    let mut browser = Browser::new();

    let home = browser.get(&shop.url("/")).await;
    assert_eq!(home.status, 200);
    assert!(
        home.html.contains("href=\"/c/kitchen\""),
        "categories on the home page"
    );
    let category = browser.get(&shop.url("/c/kitchen?sort=price_asc")).await;
    assert_eq!(category.status, 200);
    assert!(category.html.contains("href=\"/p/KIT-"));
    let found = browser.get(&shop.url("/search?q=apron")).await;
    assert!(found.html.contains("Denim Apron"), "search finds by name");

    let product = browser.get(&shop.url(&format!("/p/{SKU}"))).await;
    assert_eq!(product.status, 200);
    assert!(
        product.html.contains("In stock (20 available)"),
        "{}",
        product.html
    );
    assert!(
        product
            .html
            .contains(&format!("/images/products/{SKU}-1.svg"))
    );
    let added = browser
        .post(
            &shop.url("/cart/add"),
            &[("csrf", &product.csrf()), ("sku", SKU), ("quantity", "2")],
        )
        .await;
    assert!(added.url.ends_with("/cart"), "adding goes to the cart");
    assert!(
        added.html.contains("value=\"2\""),
        "two in the visitor's cart"
    );

    // Checkout needs a shopper: the provider's form, then its sign-up form, then back.
    let form = browser.get(&shop.url("/checkout")).await;
    let checkout = sign_up_at_provider(&mut browser, form, &email("grace")).await;
    assert!(
        browser
            .hops
            .iter()
            .any(|hop| hop.contains("/auth/callback?code=")),
        "a code came back: {:?}",
        browser.hops
    );
    assert!(checkout.url.ends_with("/checkout"), "{}", checkout.url);
    assert!(
        checkout.html.contains("2 × "),
        "the visitor's cart joined the shopper's"
    );

    // A problem is shown next to the field it names, with the typed values kept.
    let csrf = checkout.csrf();
    let key = checkout.hidden("idempotency_key").unwrap();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("address.name", "Grace Hopper"),
        ("address.line1", "1 Navy Yard"),
        ("address.city", "Arlington"),
        ("address.postal_code", "22202"),
        ("address.country", "United States"),
        ("card.number", "4242 4242 4242 4242"),
        ("card.exp_month", "12"),
        ("card.exp_year", "2031"),
        ("card.cvc", "123"),
    ];
    let refused = browser.post(&shop.url("/checkout"), &fields).await;
    assert_eq!(refused.status, 422);
    let problem = refused
        .html
        .split("id=\"address-country-problem\"")
        .nth(1)
        .unwrap();
    assert!(
        problem.starts_with(">Country code (such as US) must be an ISO 3166-1"),
        "{problem}"
    );
    assert!(refused.html.contains("value=\"Arlington\""));
    assert!(
        !refused.html.contains("4242 4242"),
        "the card number is not sent back"
    );

    fields[6] = ("address.country", "US");
    let order = browser.post(&shop.url("/checkout"), &fields).await;
    assert!(order.url.contains("/orders/"), "{}", order.url);
    let order = settled(&mut browser, order).await;
    assert!(order.html.contains(">Confirmed<"), "{}", order.html);
    assert_eq!(stock(&shop, SKU).await, (18, 0));
    let again = browser.post(&shop.url("/checkout"), &fields).await;
    assert_eq!(again.url, order.url, "the same form twice is one order");

    let id = order.url.rsplit('/').next().unwrap();
    let mut events = shop
        .http
        .get(shop.url(&format!("/orders/{id}/events")))
        .header("cookie", browser.cookie_header())
        .send()
        .await
        .unwrap();
    let state = next_event(&mut events, &mut String::new(), "order").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&state).unwrap()["state"],
        "confirmed"
    );
    let history = browser.get(&shop.url("/orders")).await;
    assert!(history.html.contains(&format!("href=\"/orders/{id}\"")));
    let account = browser.get(&shop.url("/account")).await;
    assert!(account.html.contains("Grace Hopper"));

    let signed_out = browser
        .post(&shop.url("/logout"), &[("csrf", &account.csrf())])
        .await;
    assert!(signed_out.html.contains("href=\"/login\""));
    let orders = browser.get(&shop.url("/orders")).await;
    assert!(
        orders.url.contains("/oauth2/authorize"),
        "signed out: {}",
        orders.url
    );
}

#[tokio::test]
async fn the_session_cookie_is_sealed_and_csrf_tokens_belong_to_one_session() {
    let shop = TestShop::spawn("sqlite").await;
    let mut browser = Browser::new();
    let form = browser.get(&shop.url("/login?return_to=/account")).await;
    let account = sign_up_at_provider(&mut browser, form, &email("ada")).await;
    assert!(account.url.ends_with("/account"));
    let cookie = browser.set_cookies.last().unwrap().clone();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let value = &browser.cookies["emporium-session"];
    assert!(!value.contains("eyJ"), "no JWT in clear");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("eyJ"),
        "nor under base64"
    );
    assert!(!String::from_utf8_lossy(&bytes).contains("@example.com"));

    let csrf = account.csrf();
    let add = |token: &str| {
        vec![
            ("csrf".to_owned(), token.to_owned()),
            ("sku".to_owned(), SKU.to_owned()),
        ]
    };
    let post = async |browser: &mut Browser, fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        browser.post(&shop.url("/cart/add"), &fields).await
    };
    assert_eq!(post(&mut browser, add("")).await.status, 403, "no token");
    assert_eq!(
        post(&mut browser, add("forged")).await.status,
        403,
        "a forged token"
    );
    let mut stranger = Browser::new();
    let strangers = stranger.get(&shop.url(&format!("/p/{SKU}"))).await.csrf();
    assert_eq!(
        post(&mut browser, add(&strangers)).await.status,
        403,
        "another session's token"
    );
    assert_eq!(
        post(&mut browser, add(&csrf)).await.status,
        200,
        "the session's own token"
    );

    // Signing out starts a new session: the old token is refused from then on, and the
    // refresh token the session held is revoked at the provider.
    let session = open_session(&shop, &browser.cookies["emporium-session"]);
    let refresh_token = session["user"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.post(&shop.url("/logout"), &[("csrf", &csrf)]).await;
    assert_eq!(
        post(&mut browser, add(&csrf)).await.status,
        403,
        "a replayed token"
    );
    let refreshed = shop
        .http
        .post(shop.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", "emporium-web"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 400, "the refresh token was revoked");
}

/// The session in a cookie, opened as the storefront seals it (AES-256-GCM under a key derived
/// from the key file by HMAC-SHA256, the cookie's name as associated data), written here apart
/// from the code under test.
fn open_session(shop: &TestShop, value: &str) -> serde_json::Value {
    use base64::Engine as _;
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let secret = std::fs::read(&shop.session_key_file).unwrap();
    let derived = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
        b"emporium session seal",
    );
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, derived.as_ref()).unwrap());
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .unwrap();
    let mut sealed = bytes.split_off(12);
    let nonce = Nonce::try_assume_unique_for_key(&bytes).unwrap();
    let plain = key
        .open_in_place(nonce, Aad::from(b"emporium-session"), &mut sealed)
        .unwrap();
    serde_json::from_slice(plain).unwrap()
}

#[tokio::test]
async fn pages_carry_security_headers_and_say_what_is_wrong() {
    let shop = TestShop::spawn("sqlite").await;
    let mut browser = Browser::new();
    let page = browser.get(&shop.url("/")).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        page.headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert!(!page.html.contains("<script>"), "no inline script");

    let missing = browser.get(&shop.url("/p/NOPE-00000")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("There is no product NOPE-00000"));
    let category = browser.get(&shop.url("/c/no-such-thing")).await;
    assert_eq!(category.status, 404);

    let bad = browser
        .get(&shop.url("/c/kitchen?min_price=cheap&sort=price_desc"))
        .await;
    assert_eq!(bad.status, 400);
    let problem = bad.html.split("id=\"min_price-problem\"").nth(1).unwrap();
    assert!(
        problem.starts_with(">&quot;cheap&quot; is no price"),
        "{problem}"
    );
    let filtered = browser
        .get(&shop.url("/c/kitchen?min_price=100&sort=price_asc"))
        .await;
    let prices: Vec<f64> = filtered
        .html
        .split("class=\"price\">$")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().parse().unwrap())
        .collect();
    assert!(!prices.is_empty());
    assert!(
        prices.windows(2).all(|pair| pair[0] <= pair[1]),
        "{prices:?}"
    );
    assert!(prices.iter().all(|price| *price >= 100.0), "{prices:?}");

    let script = shop
        .http
        .get(shop.url("/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn a_declined_card_shows_the_reason_and_gives_the_stock_back() {
    let shop = TestShop::spawn("sqlite").await;
    set_stock(&shop, SKU, 7).await;
    shop.switch_fault("payments.decline", Some(json!({"kind": "fail"})))
        .await;

    let mut browser = Browser::new();
    let form = browser.get(&shop.url("/login?return_to=/")).await;
    let home = sign_up_at_provider(&mut browser, form, &email("unlucky")).await;
    let product = browser.get(&shop.url(&format!("/p/{SKU}"))).await;
    browser
        .post(
            &shop.url("/cart/add"),
            &[("csrf", &product.csrf()), ("sku", SKU)],
        )
        .await;
    let checkout = browser.get(&shop.url("/checkout")).await;
    let key = checkout.hidden("idempotency_key").unwrap();
    let order = browser
        .post(
            &shop.url("/checkout"),
            &checkout_form(&home.csrf(), &key, "Un Lucky"),
        )
        .await;
    let order = settled(&mut browser, order).await;
    assert!(order.html.contains(">Failed<"), "{}", order.html);
    assert!(order.html.contains("declined"), "the reason is shown");
    assert_eq!(stock(&shop, SKU).await, (7, 0), "the stock came back");
    let product = browser.get(&shop.url(&format!("/p/{SKU}"))).await;
    assert!(product.html.contains("In stock (7 available)"));
}

/// The first Server-Sent Event of `event` on `response` after what was read so far: its data.
async fn next_event(response: &mut reqwest::Response, buffer: &mut String, event: &str) -> String {
    let marker = format!("event: {event}\ndata: ");
    loop {
        if let Some(start) = buffer.find(&marker) {
            let rest = &buffer[start + marker.len()..];
            if let Some(end) = rest.find('\n') {
                let data = rest[..end].to_owned();
                *buffer = rest[end..].to_owned();
                return data;
            }
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), response.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn stock_levels_and_order_states_arrive_as_server_sent_events() {
    let shop = TestShop::spawn("sqlite").await;
    set_stock(&shop, SKU, 9).await;
    let mut events = shop
        .http
        .get(shop.url(&format!("/p/{SKU}/stock")))
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let first: serde_json::Value =
        serde_json::from_str(&next_event(&mut events, &mut buffer, "stock").await).unwrap();
    assert_eq!(
        first,
        json!({"available": 9, "text": "In stock (9 available)"})
    );
    set_stock(&shop, SKU, 3).await;
    let changed: serde_json::Value =
        serde_json::from_str(&next_event(&mut events, &mut buffer, "stock").await).unwrap();
    assert_eq!(changed, json!({"available": 3, "text": "Only 3 left"}));

    // An order's events need its shopper's session.
    let anonymous = shop
        .http
        .get(shop.url("/orders/x/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn the_purchase_runs_against_the_shop_as_a_process_per_service() {
    let Some(shop) = TestShop::distributed(&[]).await else {
        return;
    };
    set_stock(&shop, SKU, 5).await;
    let mut browser = Browser::new();
    let product = browser.get(&shop.url(&format!("/p/{SKU}"))).await;
    assert!(
        product.html.contains("In stock (5 available)"),
        "{}",
        product.html
    );
    browser
        .post(
            &shop.url("/cart/add"),
            &[("csrf", &product.csrf()), ("sku", SKU)],
        )
        .await;
    let form = browser.get(&shop.url("/checkout")).await;
    assert!(
        form.url.starts_with(&shop.identity_url),
        "the provider is its own process"
    );
    let checkout = sign_up_at_provider(&mut browser, form, &email("apart")).await;
    assert!(checkout.url.starts_with(&shop.base_url), "{}", checkout.url);
    let key = checkout.hidden("idempotency_key").unwrap();
    let order = browser
        .post(
            &shop.url("/checkout"),
            &checkout_form(&checkout.csrf(), &key, "Far Away"),
        )
        .await;
    let order = settled(&mut browser, order).await;
    assert!(order.html.contains(">Confirmed<"), "{}", order.html);
    assert_eq!(stock(&shop, SKU).await, (4, 0));
}

#[tokio::test]
async fn checkout_waits_for_an_order_being_placed_and_a_reused_form_gets_a_new_key() {
    let shop = TestShop::spawn("sqlite").await;
    set_stock(&shop, "KIT-00014", 5).await;
    let mut browser = Browser::new();
    let form = browser.get(&shop.url("/login?return_to=/")).await;
    sign_up_at_provider(&mut browser, form, &email("patient")).await;
    let product = browser.get(&shop.url("/p/KIT-00014")).await;
    browser
        .post(
            &shop.url("/cart/add"),
            &[("csrf", &product.csrf()), ("sku", "KIT-00014")],
        )
        .await;
    shop.switch_fault("inventory.slow", Some(json!({"kind": "delay", "ms": 1500})))
        .await;
    let checkout = browser.get(&shop.url("/checkout")).await;
    let key = checkout.hidden("idempotency_key").unwrap();
    let csrf = checkout.csrf();
    let mut fields = checkout_form(&csrf, &key, "Pat Ient");
    let order = browser.post(&shop.url("/checkout"), &fields).await;
    assert!(
        order.html.contains("This page follows your order"),
        "placed, not ended yet"
    );
    let again = browser.get(&shop.url("/checkout")).await;
    assert_eq!(
        again.url, order.url,
        "no second checkout of the same cart while the first runs"
    );
    settled(&mut browser, order).await;
    shop.switch_fault("inventory.slow", None).await;

    // The same form, sent back with other details (the back button) for a new cart: a clear
    // answer and a new key, so that the next submit is a checkout of its own.
    browser
        .post(
            &shop.url("/cart/add"),
            &[("csrf", &csrf), ("sku", "KIT-00014")],
        )
        .await;
    fields[2] = ("address.name", "Someone Else");
    let reused = browser.post(&shop.url("/checkout"), &fields).await;
    assert_eq!(reused.status, 422);
    assert!(
        reused.html.contains("already placed an order"),
        "{}",
        reused.html
    );
    assert_ne!(reused.hidden("idempotency_key").unwrap(), key);
}
