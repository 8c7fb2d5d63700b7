//! Mutual TLS between services: a development certificate authority, the server side (client
//! certificates required, files reloaded when they change) and the client side, and the peer's
//! SPIFFE identity for the allow lists.
//!
//! Every service has one certificate, good for serving and for calling, whose URI name is its
//! SPIFFE id (`spiffe://emporium/orders`) and whose DNS names are the service name and
//! `localhost` (plus 127.0.0.1). `emporium certs` makes the authority and the certificates. A
//! server takes a connection only with a client certificate from its authority, and then a call
//! only from an identity on its allow list (`grpc::ServerLayer::with_allowed_peers`); the bearer
//! token and its scopes are checked after that, as on every call.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use x509_cert::der::Decode as _;
use x509_cert::der::oid::AssociatedOid as _;

use crate::Shutdown;

/// The trust domain of every SPIFFE id here.
pub const TRUST_DOMAIN: &str = "emporium";

/// How long issued certificates last; `emporium certs` issues new ones at any time.
const VALIDITY_DAYS: i64 = 365;

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SPIFFE id of a workload (`spiffe://emporium/<name>`).
pub fn spiffe_id(name: &str) -> String {
    format!("spiffe://{TRUST_DOMAIN}/{name}")
}

/// Where a process finds its certificate, its key and the authority it trusts, and whom it
/// serves. Empty files mean no TLS.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The authority's certificate (PEM): peers must present a certificate it signed.
    pub ca_file: String,
    /// This process's certificate (PEM), for serving and for calling.
    pub cert_file: String,
    /// This process's private key (PEM).
    pub key_file: String,
    /// SPIFFE ids that may call this process's gRPC services; empty means the default edges of
    /// the services it runs.
    pub allowed_clients: Vec<String>,
    /// How often the files are checked for a change, in seconds.
    pub reload_interval_seconds: u64,
}

impl TlsConfig {
    /// Whether TLS is configured; a partial configuration is an error that names what is missing.
    pub fn enabled(&self) -> anyhow::Result<bool> {
        let files = [
            ("tls.ca_file", &self.ca_file),
            ("tls.cert_file", &self.cert_file),
            ("tls.key_file", &self.key_file),
        ];
        let set: Vec<&str> = files
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, _)| *key)
            .collect();
        match set.len() {
            0 => Ok(false),
            3 => Ok(true),
            _ => {
                let missing: Vec<&str> = files
                    .iter()
                    .filter(|(_, value)| value.is_empty())
                    .map(|(key, _)| *key)
                    .collect();
                anyhow::bail!(
                    "mTLS needs all three files: {} set, {} missing",
                    set.join(", "),
                    missing.join(", ")
                )
            }
        }
    }

    fn reload_interval(&self) -> Duration {
        Duration::from_secs(self.reload_interval_seconds.max(1))
    }
}

/// A certificate authority for development and tests: it issues service certificates.
pub struct Authority {
    params: CertificateParams,
    key: KeyPair,
    certificate_pem: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// A certificate and its key, PEM-encoded.
#[derive(Clone, Debug)]
pub struct Issued {
    pub certificate_pem: String,
    pub key_pem: String,
}

impl Authority {
    /// A new authority with a fresh key.
    pub fn generate() -> anyhow::Result<Authority> {
        let key = KeyPair::generate().context("generate the authority's key")?;
        Authority::with_key(key)
    }

    /// The authority whose key is `key_pem` (as `key_pem()` wrote it), to issue more
    /// certificates that its earlier certificate verifies.
    pub fn from_key_pem(key_pem: &str) -> anyhow::Result<Authority> {
        let key = KeyPair::from_pem(key_pem).context("read the authority's key")?;
        Authority::with_key(key)
    }

    fn with_key(key: KeyPair) -> anyhow::Result<Authority> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(
            DnType::CommonName,
            format!("{TRUST_DOMAIN} development authority"),
        );
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = time_from_now(VALIDITY_DAYS * 10);
        let certificate = params
            .self_signed(&key)
            .context("sign the authority's certificate")?;
        Ok(Authority {
            certificate_pem: certificate.pem(),
            params,
            key,
        })
    }

    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// A certificate for the workload `name`: SPIFFE id, DNS names `name` and `localhost`, and
    /// 127.0.0.1; for serving and for calling.
    pub fn issue(&self, name: &str) -> anyhow::Result<Issued> {
        let mut params = CertificateParams::new(vec![name.to_owned(), "localhost".to_owned()])
            .with_context(|| format!("certificate names for `{name}`"))?;
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        params.subject_alt_names.push(SanType::URI(
            spiffe_id(name)
                .try_into()
                .with_context(|| format!("a SPIFFE id for `{name}`"))?,
        ));
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.not_before = time_from_now(-1);
        params.not_after = time_from_now(VALIDITY_DAYS);
        let key = KeyPair::generate()?;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let certificate = params
            .signed_by(&key, &issuer)
            .with_context(|| format!("sign the certificate of `{name}`"))?;
        Ok(Issued {
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn time_from_now(days: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + time::Duration::days(days)
}

/// Writes an authority (reusing `ca.pem`/`ca.key` in `dir` when there) and a certificate and key
/// for each name (`<name>.pem`, `<name>.key`). Keys are written readable by the owner only.
pub fn write_certificates(dir: &Path, names: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let (ca_pem, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
    let mut written = Vec::new();
    let authority = if ca_key.exists() && ca_pem.exists() {
        Authority::from_key_pem(&std::fs::read_to_string(&ca_key)?)?
    } else {
        let authority = Authority::generate()?;
        write_private(&ca_key, &authority.key_pem())?;
        std::fs::write(&ca_pem, authority.certificate_pem())?;
        written.extend([ca_pem.clone(), ca_key.clone()]);
        authority
    };
    for name in names {
        let issued = authority.issue(name)?;
        let (certificate, key) = (
            dir.join(format!("{name}.pem")),
            dir.join(format!("{name}.key")),
        );
        std::fs::write(&certificate, &issued.certificate_pem)?;
        write_private(&key, &issued.key_pem)?;
        written.extend([certificate, key]);
    }
    Ok(written)
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("write {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// The certificates in a PEM file.
fn read_certificates(path: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("read certificates from {path}"))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("read certificates from {path}"))?;
    anyhow::ensure!(!certificates.is_empty(), "{path} holds no certificate");
    Ok(certificates)
}

fn read_key(path: &str) -> anyhow::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).with_context(|| format!("read a private key from {path}"))
}

fn server_config(config: &TlsConfig) -> anyhow::Result<rustls::ServerConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in read_certificates(&config.ca_file)? {
        roots
            .add(certificate)
            .with_context(|| format!("trust the authority in {}", config.ca_file))?;
    }
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .context("build the client certificate verifier")?;
    let mut server = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            read_certificates(&config.cert_file)?,
            read_key(&config.key_file)?,
        )
        .with_context(|| format!("use {} with {}", config.cert_file, config.key_file))?;
    server.alpn_protocols = vec![b"h2".to_vec()];
    Ok(server)
}

/// The server side: the current acceptor, rebuilt when the files change.
#[derive(Clone)]
pub struct ServerTls {
    config: TlsConfig,
    current: Arc<RwLock<(TlsAcceptor, Stamp)>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServerTls")
            .field("cert_file", &self.config.cert_file)
            .finish_non_exhaustive()
    }
}

/// What the files looked like when they were read: a change in any means a reload.
type Stamp = Vec<Option<(SystemTime, u64)>>;

fn stamp(config: &TlsConfig) -> Stamp {
    [&config.ca_file, &config.cert_file, &config.key_file]
        .iter()
        .map(|path| {
            std::fs::metadata(path)
                .ok()
                .and_then(|metadata| Some((metadata.modified().ok()?, metadata.len())))
        })
        .collect()
}

impl ServerTls {
    /// Reads the files; an error names the file and what is wrong with it.
    pub fn load(config: &TlsConfig) -> anyhow::Result<ServerTls> {
        let stamp = stamp(config);
        let acceptor = TlsAcceptor::from(Arc::new(server_config(config)?));
        Ok(ServerTls {
            config: config.clone(),
            current: Arc::new(RwLock::new((acceptor, stamp))),
        })
    }

    fn acceptor(&self) -> TlsAcceptor {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0
            .clone()
    }

    /// Reads the files again if any changed; new connections use them, open ones keep theirs.
    /// Returns whether it reloaded. On an error the files in use stay in use.
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let now = stamp(&self.config);
        if self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .1
            == now
        {
            return Ok(false);
        }
        let acceptor = TlsAcceptor::from(Arc::new(server_config(&self.config)?));
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = (acceptor, now);
        Ok(true)
    }

    /// Checks the files every `reload_interval_seconds` until `shutdown`.
    pub async fn watch(self, shutdown: Shutdown) {
        let interval = self.config.reload_interval();
        loop {
            tokio::select! {
                _ = shutdown.wait() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            match self.reload_if_changed() {
                Ok(true) => {
                    tracing::info!(cert_file = %self.config.cert_file, "TLS certificates reloaded")
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "the changed TLS files cannot be used; keeping the ones in use"
                ),
            }
        }
    }

    /// The TLS connections accepted on `listener`. Handshakes run beside the accept loop, and
    /// a failed one (no client certificate, another authority) only drops its connection.
    pub fn incoming(
        &self,
        listener: TcpListener,
    ) -> tokio_stream::wrappers::ReceiverStream<std::io::Result<TlsStream<TcpStream>>> {
        let (sender, receiver) = mpsc::channel(64);
        let tls = self.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = sender.closed() => return,
                    accepted = listener.accept() => accepted,
                };
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let acceptor = tls.acceptor();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let _ = sender.send(Ok(stream)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::info!(%peer, %error, "TLS handshake refused");
                        }
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(receiver)
    }
}

/// The client side: what a channel presents and trusts.
#[derive(Clone, Debug)]
pub struct ClientTls {
    config: tonic::transport::ClientTlsConfig,
}

impl ClientTls {
    pub fn load(config: &TlsConfig) -> anyhow::Result<ClientTls> {
        let read =
            |path: &str| std::fs::read_to_string(path).with_context(|| format!("read {path}"));
        // Fail here, on a bad file, rather than on the first call.
        read_certificates(&config.ca_file)?;
        read_certificates(&config.cert_file)?;
        read_key(&config.key_file)?;
        let tls = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(read(
                &config.ca_file,
            )?))
            .identity(tonic::transport::Identity::from_pem(
                read(&config.cert_file)?,
                read(&config.key_file)?,
            ));
        Ok(ClientTls { config: tls })
    }

    pub(crate) fn config(&self) -> tonic::transport::ClientTlsConfig {
        self.config.clone()
    }
}

/// Who may call: SPIFFE ids.
#[derive(Clone, Debug, Default)]
pub struct AllowList(Arc<HashSet<String>>);

impl AllowList {
    pub fn new<I, S>(ids: I) -> AllowList
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AllowList(Arc::new(ids.into_iter().map(Into::into).collect()))
    }

    pub fn allows(&self, id: &str) -> bool {
        self.0.contains(id)
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.0.iter().cloned().collect();
        ids.sort();
        ids
    }
}

/// The SPIFFE id (`spiffe://...` URI name) in a DER certificate, if it has one.
pub fn spiffe_id_of(certificate: &[u8]) -> Option<String> {
    let certificate = x509_cert::Certificate::from_der(certificate).ok()?;
    let extensions = certificate.tbs_certificate.extensions?;
    let names = extensions
        .iter()
        .find(|extension| extension.extn_id == x509_cert::ext::pkix::SubjectAltName::OID)?;
    let names = x509_cert::ext::pkix::SubjectAltName::from_der(names.extn_value.as_bytes()).ok()?;
    names.0.into_iter().find_map(|name| match name {
        x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(uri)
            if uri.as_str().starts_with("spiffe://") =>
        {
            Some(uri.as_str().to_owned())
        }
        _ => None,
    })
}
