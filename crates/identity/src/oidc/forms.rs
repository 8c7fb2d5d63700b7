//! The forms of the authorization endpoint: sign in, and sign up when the client asks with
//! `prompt=create` (OpenID Connect "Initiating User Registration"). Both post back to the
//! endpoint with the authorization request in hidden fields.

use axum::response::Html;

use super::authorize::AuthorizeParams;
use super::page::{escape, page};
use crate::Identity;

/// The sign-in form, or the sign-up form when the request says `prompt=create`, with `message`
/// (what was wrong with the last try) above it.
pub(super) fn sign_in_page(
    identity: &Identity,
    params: &AuthorizeParams,
    message: Option<&str>,
) -> Html<String> {
    let creating = params.prompt.as_deref() == Some("create");
    let hidden = hidden_fields(params);
    let message = message
        .map(|message| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    let client_id = escape(params.client_id.as_deref().unwrap_or_default());
    let endpoint = format!("{}/oauth2/authorize", identity.config().issuer);
    let action = escape(&endpoint);
    let other = escape(&switch_url(&endpoint, params, !creating));
    let (title, fields, button, switch) = if creating {
        (
            "Create your Emporium account",
            r#"<label>Your name <input type="text" name="display_name" autocomplete="name" required autofocus></label>
      <label>Email <input type="email" name="email" autocomplete="username" required></label>
      <label>Password (at least 8 characters) <input type="password" name="password" autocomplete="new-password" minlength="8" required></label>"#,
            "Create account",
            format!("<p>Have an account? <a href=\"{other}\">Sign in</a></p>"),
        )
    } else {
        (
            "Sign in to Emporium",
            r#"<label>Email <input type="email" name="email" autocomplete="username" required autofocus></label>
      <label>Password <input type="password" name="password" autocomplete="current-password" required></label>"#,
            "Sign in",
            format!("<p>New here? <a href=\"{other}\">Create an account</a></p>"),
        )
    };
    page(
        title,
        &format!(
            r#"<p><strong>{client_id}</strong> asks you to sign in.</p>
    {message}
    <form method="post" action="{action}">
      {hidden}
      {fields}
      <button type="submit">{button}</button>
    </form>
    {switch}"#
        ),
    )
}

/// The authorization request as hidden inputs, so that the form's post carries it.
fn hidden_fields(params: &AuthorizeParams) -> String {
    params
        .pairs()
        .into_iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
        .collect::<Vec<_>>()
        .join("\n      ")
}

/// The same authorization request, asking for the other form.
fn switch_url(endpoint: &str, params: &AuthorizeParams, creating: bool) -> String {
    let mut url = url::Url::parse(endpoint).expect("the issuer was checked at start");
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params.pairs() {
            if name != "prompt" {
                query.append_pair(name, value);
            }
        }
        if creating {
            query.append_pair("prompt", "create");
        }
    }
    url.into()
}
