//! One visit: the middleware that opens the session cookie before a page and writes it back
//! after, refreshes a signed-in shopper's access token when it is about to expire, and refuses
//! any form whose CSRF token is not the session's.

use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Storefront;
use crate::error::PageError;
use crate::session::{Keys, Session, SignedIn};

/// The largest form the storefront reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// How the session cookie is named and flagged.
#[derive(Clone, Debug)]
pub(crate) struct CookieSettings {
    /// `__Host-` names (which browsers accept only with `Secure`, `Path=/` and no domain)
    /// behind https.
    pub(crate) name: &'static str,
    secure: bool,
    max_age_seconds: u64,
}

impl CookieSettings {
    pub(crate) fn new(public_url: &str, session_days: u32) -> CookieSettings {
        let secure = public_url.starts_with("https://");
        CookieSettings {
            name: if secure {
                "__Host-emporium-session"
            } else {
                "emporium-session"
            },
            secure,
            max_age_seconds: u64::from(session_days) * 24 * 60 * 60,
        }
    }

    fn header(&self, value: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            self.name, self.max_age_seconds
        ))
        .ok()
    }
}

/// The visitor's session for the length of one request; handlers read and change it, and the
/// middleware writes it back when it changed.
#[derive(Clone)]
pub(crate) struct Visit {
    state: Arc<Mutex<VisitState>>,
    keys: Arc<Keys>,
}

struct VisitState {
    session: Session,
    changed: bool,
}

impl Visit {
    fn new(session: Session, keys: Arc<Keys>) -> Visit {
        Visit {
            state: Arc::new(Mutex::new(VisitState {
                session,
                changed: false,
            })),
            keys,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VisitState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of the session as it is now.
    pub(crate) fn session(&self) -> Session {
        self.lock().session.clone()
    }

    /// The signed-in shopper, if any.
    pub(crate) fn user(&self) -> Option<SignedIn> {
        self.lock().session.user.clone()
    }

    /// The shopper's access token, or a redirect to sign in and come back to `return_to`.
    pub(crate) fn token_or_sign_in(&self, return_to: &str) -> Result<String, PageError> {
        self.user()
            .map(|user| user.access_token)
            .ok_or_else(|| PageError::sign_in(return_to))
    }

    /// Changes the session; it is written back after the page.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut Session) -> T) -> T {
        let mut state = self.lock();
        state.changed = true;
        change(&mut state.session)
    }

    /// The CSRF token for this session's forms, giving the session an id if it has none.
    pub(crate) fn csrf_token(&self) -> String {
        let mut state = self.lock();
        if state.session.sid.is_empty() {
            state.session.sid = self.keys.random_string(18);
            state.changed = true;
        }
        self.keys.csrf_token(&state.session.sid)
    }

    /// Starts a new session id (at sign-in and sign-out): every CSRF token made before is void.
    pub(crate) fn rotate(&self) {
        let sid = self.keys.random_string(18);
        self.update(|session| session.sid = sid);
    }

    fn csrf_matches(&self, token: &str) -> bool {
        self.keys.csrf_matches(&self.lock().session.sid, token)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Visit, PageError> {
        parts
            .extensions
            .get::<Visit>()
            .cloned()
            .ok_or_else(|| PageError::internal("the page runs outside the session middleware"))
    }
}

/// Opens the session, checks a form's CSRF token, runs the page, and writes the session back
/// when it changed.
pub(crate) async fn sessions(
    State(storefront): State<Storefront>,
    mut request: Request,
    next: Next,
) -> Response {
    let session = read_cookie(&request, &storefront).unwrap_or_default();
    let visit = Visit::new(session, storefront.keys.clone());
    refresh_if_expiring(&storefront, &visit).await;
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        request = match checked_form(request, &visit).await {
            Ok(request) => request,
            Err(refusal) => return refusal.into_response(),
        };
    }
    request.extensions_mut().insert(visit.clone());
    let mut response = next.run(request).await;
    // Pages carry the visitor's CSRF token and name: no shared cache may keep them.
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    let state = visit.lock();
    if state.changed {
        match storefront
            .keys
            .seal(&state.session, storefront.cookie.name)
            .ok()
            .and_then(|value| storefront.cookie.header(&value))
        {
            Some(cookie) => {
                response.headers_mut().append(header::SET_COOKIE, cookie);
                // A page that set a session is the visitor's alone.
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                );
            }
            None => tracing::error!("the session could not be sealed"),
        }
    }
    response
}

fn read_cookie(request: &Request, storefront: &Storefront) -> Option<Session> {
    let name = storefront.cookie.name;
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| storefront.keys.open(value, name))
}

/// Refreshes the access token when less than a minute of it is left. A refresh the provider
/// refuses signs the shopper out; one that fails on the way (the provider away) leaves the
/// session as it is, to try again on the next page.
async fn refresh_if_expiring(storefront: &Storefront, visit: &Visit) {
    let Some(user) = visit.user() else { return };
    if user.expires_at > platform::unix_now() + 60 {
        return;
    }
    match storefront.provider.refresh(&user).await {
        Ok(refreshed) => visit.update(|session| session.user = Some(refreshed)),
        Err(error) if error.downcast_ref::<crate::oidc::Refused>().is_some() => {
            tracing::info!(error = %error, "the provider refused a session's refresh; signing out");
            visit.update(|session| session.user = None);
        }
        Err(error) => {
            tracing::warn!(error = %error, "a session's refresh failed; trying again later")
        }
    }
}

/// The request with its form read and put back, when its `csrf` field is this session's token.
async fn checked_form(request: Request, visit: &Visit) -> Result<Request, PageError> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."))?;
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    if !visit.csrf_matches(&token) {
        tracing::warn!("a form came with a CSRF token of no session of this visitor");
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this shop. Go back, reload the page and try again.",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
