//! The servers the settings name: each service's PostgreSQL database, NATS, Redis and Chroma,
//! asked as their own clients would ask them first, each within a few seconds.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Check;
use crate::settings::Settings;

/// How long a server has to answer.
const PATIENCE: Duration = Duration::from_secs(3);

pub(super) async fn servers(settings: &Settings) -> Vec<Check> {
    let mut checks = Vec::new();
    let (sqlite, others): (Vec<_>, Vec<_>) = settings
        .services
        .database_urls()
        .into_iter()
        .partition(|(_, url)| url.starts_with("sqlite:"));
    if !sqlite.is_empty() {
        let names: Vec<&str> = sqlite.iter().map(|(service, _)| *service).collect();
        let detail = format!("SQLite files under the data folder: {}", names.join(", "));
        checks.push(Check::ok("databases", detail));
    }
    for (service, url) in others {
        checks.push(database(service, &url).await);
    }
    checks.push(bus(&settings.bus_url).await);
    let redis = [
        ("cart.redis_url", &settings.services.cart.redis_url),
        (
            "functions.redis_url",
            &settings.services.functions.redis_url,
        ),
        ("gateway.redis_url", &settings.services.gateway.redis_url),
    ];
    for (key, url) in redis.into_iter().filter(|(_, url)| !url.is_empty()) {
        checks.push(redis_answers(key, url).await);
    }
    let search = &settings.services.catalog.search;
    if search.index == "chroma" {
        let heartbeat = format!(
            "{}/api/v2/heartbeat",
            search.chroma_url.trim_end_matches('/')
        );
        let shown = redacted(&search.chroma_url);
        checks.push(match http_ok(&heartbeat).await {
            true => Check::ok("chroma", format!("{shown} answers")),
            false => Check::fail(
                "chroma",
                format!("{shown} does not answer its heartbeat"),
                "start it (scripts/chroma-server DIR PORT) or set catalog.search.index = \"auto\"",
            ),
        });
    }
    checks
}

async fn database(service: &str, url: &str) -> Check {
    let name = format!("{service} database");
    let key = format!("EMPORIUM_{}__DATABASE_URL", service.to_ascii_uppercase());
    let shown = redacted(url);
    match tokio::time::timeout(PATIENCE, platform::db::Database::connect(url)).await {
        Ok(Ok(_)) => Check::ok(name, format!("{shown} answers")),
        Ok(Err(error)) => Check::fail(
            name,
            format!("{shown}: {error:#}"),
            format!("start PostgreSQL and make the role and database, or set {key}"),
        ),
        Err(_) => Check::fail(
            name,
            format!("{shown} did not answer in {} s", PATIENCE.as_secs()),
            format!("check the host and port in {key}"),
        ),
    }
}

async fn bus(url: &str) -> Check {
    if url.is_empty() {
        return Check::ok(
            "event bus",
            "in this process (set bus_url to use NATS JetStream)",
        );
    }
    let fix =
        "start nats-server -js, or leave bus_url (EMPORIUM_BUS_URL) empty for the in-process bus";
    // As the NATS client takes it: a list of servers, each with or without `nats://`.
    let first = url.split(',').next().unwrap_or(url).trim();
    let first = match first.contains("://") {
        true => first.to_owned(),
        false => format!("nats://{first}"),
    };
    let Some(address) = address_of(&first, 4222) else {
        let shown = redacted(url);
        return Check::fail("event bus", format!("{shown} is not nats://host:port"), fix);
    };
    // A NATS server greets every connection with `INFO {...}`.
    let greeting = first_bytes(&address, None).await;
    match greeting {
        Ok(text) if text.starts_with("INFO") => {
            Check::ok("event bus", format!("NATS answers at {address}"))
        }
        Ok(text) => Check::fail(
            "event bus",
            format!("{address} answered, but not as NATS: {text:?}"),
            fix,
        ),
        Err(error) => Check::fail("event bus", format!("{address}: {error}"), fix),
    }
}

async fn redis_answers(key: &str, url: &str) -> Check {
    let fix =
        format!("start redis-server, or leave {key} empty to keep that state in this process");
    let Some(address) = address_of(url, 6379) else {
        let shown = redacted(url);
        return Check::fail(key, format!("{shown} is not redis://host:port"), fix);
    };
    match first_bytes(&address, Some(b"PING\r\n")).await {
        // NOAUTH: it answers, and the URL's password will be given.
        Ok(text) if text.starts_with("+PONG") || text.starts_with("-NOAUTH") => {
            Check::ok(key, format!("Redis answers at {address}"))
        }
        Ok(text) => Check::fail(
            key,
            format!("{address} answered, but not as Redis: {text:?}"),
            fix,
        ),
        Err(error) => Check::fail(key, format!("{address}: {error}"), fix),
    }
}

/// What a server says first (after `say`, when given), up to a line.
async fn first_bytes(address: &str, say: Option<&[u8]>) -> std::io::Result<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await?;
        if let Some(say) = say {
            stream.write_all(say).await?;
        }
        let mut buffer = [0u8; 64];
        let read = stream.read(&mut buffer).await?;
        Ok(String::from_utf8_lossy(&buffer[..read]).into_owned())
    };
    match tokio::time::timeout(PATIENCE, exchange).await {
        Ok(answer) => answer,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no answer in 3 s",
        )),
    }
}

/// Whether `url` answers a GET with a success.
pub(super) async fn http_ok(url: &str) -> bool {
    let client = reqwest::Client::builder().timeout(PATIENCE).build();
    let Ok(client) = client else { return false };
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|answer| answer.status().is_success())
}

/// `host:port` of `scheme://[user[:password]@]host[:port][/...]`.
fn address_of(url: &str, default_port: u16) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(format!(
        "{}:{}",
        parsed.host_str()?,
        parsed.port().unwrap_or(default_port)
    ))
}

/// `url` without its password, in the user part or as a query parameter (`?password=`);
/// a URL that does not parse is not shown at all, since it may hold one anywhere.
fn redacted(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(a URL that does not parse)".to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let secret = |key: &str| key.to_ascii_lowercase().contains("password");
    if parsed.query_pairs().any(|(key, _)| secret(&key)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| match secret(&key) {
                true => (key.into_owned(), "***".to_owned()),
                false => (key.into_owned(), value.into_owned()),
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_show() {
        let shown = super::redacted("postgres://orders:hunter2@db:5432/orders?sslpassword=x&a=1");
        assert_eq!(
            shown,
            "postgres://orders:***@db:5432/orders?sslpassword=***&a=1"
        );
        let query = super::redacted("postgres://db/orders?password=hunter2");
        assert_eq!(query, "postgres://db/orders?password=***");
        assert!(!super::redacted("post gres://u:hunter2@db").contains("hunter2"));
    }
}
