//! Every OAuth scope the shop knows, declared once: the service that checks a scope and every
//! caller that asks for it name the same constant. The sets below are what each kind of caller
//! is given; `identity` refuses any other scope at registration.

/// OpenID Connect: the token may be exchanged for an ID token.
pub const OPENID: &str = "openid";
/// OpenID Connect: the user's display name in the ID token and at userinfo.
pub const PROFILE: &str = "profile";
/// OpenID Connect: the user's email in the ID token and at userinfo.
pub const EMAIL: &str = "email";
/// Read products, categories and search (catalog).
pub const CATALOG_READ: &str = "catalog.read";
/// Create, change and delete products (catalog).
pub const CATALOG_ADMIN: &str = "catalog.admin";
/// Read and change one's own cart (cart).
pub const CART: &str = "cart";
/// Check out and read one's own orders (orders).
pub const ORDERS: &str = "orders";
/// Read stock levels (inventory).
pub const INVENTORY_READ: &str = "inventory.read";
/// Reserve, commit and release stock for an order (inventory).
pub const INVENTORY_RESERVE: &str = "inventory.reserve";
/// Set stock levels (inventory).
pub const INVENTORY_ADMIN: &str = "inventory.admin";
/// Authorize, capture, void and refund payments, and keep cards in the vault (payments).
pub const PAYMENTS_CHARGE: &str = "payments.charge";
/// Read payments (payments).
pub const PAYMENTS_READ: &str = "payments.read";
/// Create and cancel shipments (shipping).
pub const SHIPPING_WRITE: &str = "shipping.write";
/// Read shipments (shipping).
pub const SHIPPING_READ: &str = "shipping.read";
/// Look up any user, to write to them (identity).
pub const USERS_READ: &str = "users.read";
/// Register, list and remove OAuth clients (identity).
pub const CLIENTS_ADMIN: &str = "clients.admin";
/// Read and switch the fault switches of every process (platform).
pub const ADMIN_FAULTS: &str = "admin.faults";
/// Read every process's operations view (traces, RED figures, backlogs) and replay dead letters
/// (platform).
pub const ADMIN_OPS: &str = "admin.ops";
/// Deploy functions, split their traffic, roll them back, read their invocations (functions).
pub const FUNCTIONS_ADMIN: &str = "functions.admin";
/// Run functions: watch the deployments, fetch modules, use their key-value spaces, report
/// invocations (functions; the gateway's own token).
pub const FUNCTIONS_RUN: &str = "functions.run";

/// Register merchants' webhook endpoints and read their deliveries (functions).
pub const WEBHOOKS_ADMIN: &str = "webhooks.admin";

/// Call the inference API: embeddings, chat completions, the list of models (inference).
pub const INFERENCE: &str = "inference";
/// Promote, roll back and retire model versions, and set their canary and shadow traffic
/// (inference).
pub const MODELS_ADMIN: &str = "models.admin";

/// Every scope, for discovery, registration checks and the docs.
pub const ALL: &[&str] = &[
    OPENID,
    PROFILE,
    EMAIL,
    CATALOG_READ,
    CATALOG_ADMIN,
    CART,
    ORDERS,
    INVENTORY_READ,
    INVENTORY_RESERVE,
    INVENTORY_ADMIN,
    PAYMENTS_CHARGE,
    PAYMENTS_READ,
    SHIPPING_WRITE,
    SHIPPING_READ,
    USERS_READ,
    CLIENTS_ADMIN,
    ADMIN_FAULTS,
    ADMIN_OPS,
    FUNCTIONS_ADMIN,
    FUNCTIONS_RUN,
    WEBHOOKS_ADMIN,
    INFERENCE,
    MODELS_ADMIN,
];

/// What a shopper's token carries when none are asked for, and all a registered app may ask for:
/// stock levels are public, and the cart's live session watches them with the shopper's token;
/// the inference API answers a shopper's token as OpenAI's answers an API key.
pub const SHOPPER: &[&str] = &[
    OPENID,
    PROFILE,
    EMAIL,
    CATALOG_READ,
    CART,
    ORDERS,
    INVENTORY_READ,
    INFERENCE,
];

/// What the admin client may do: administer the catalog, the stock and the clients at identity,
/// look at payments and shipments, switch faults and read the operations view.
pub const ADMIN: &[&str] = &[
    CATALOG_READ,
    CATALOG_ADMIN,
    INVENTORY_READ,
    INVENTORY_ADMIN,
    PAYMENTS_READ,
    SHIPPING_READ,
    ADMIN_FAULTS,
    ADMIN_OPS,
    CLIENTS_ADMIN,
    FUNCTIONS_ADMIN,
    WEBHOOKS_ADMIN,
    INFERENCE,
    MODELS_ADMIN,
];

/// A set as OAuth writes it: space-separated.
pub fn joined(set: &[&str]) -> String {
    set.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_in_a_set_is_declared() {
        for scope in SHOPPER.iter().chain(ADMIN) {
            assert!(ALL.contains(scope), "{scope} is not in ALL");
        }
    }

    #[test]
    fn no_scope_is_declared_twice() {
        let mut seen = ALL.to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), ALL.len());
    }
}
