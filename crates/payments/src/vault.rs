//! The card vault's cryptography, as a payment provider's vault keeps cards: each card is
//! sealed with AES-256-GCM under the vault key (from `payments.vault_key`, or a key file made
//! on first start), bound to its token, so that a row is useless without the key and cannot be
//! moved to another token. The plain card exists only in memory, never in a log.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::Config;

/// A card as the vault keeps it, for an authorization still to come.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VaultCard {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub cvc: String,
}

impl std::fmt::Debug for VaultCard {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("VaultCard(***)")
    }
}

/// The vault key.
#[derive(Clone)]
pub(crate) struct Vault {
    key: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Vault(***)")
    }
}

const KEY_LEN: usize = 32;

impl Vault {
    /// The key of `payments.vault_key` (64 hex digits), else the one in `vault_key_file`
    /// (made, readable by its owner only, when missing), else a key for this process only.
    pub fn from_config(config: &Config) -> anyhow::Result<Vault> {
        let key = if !config.vault_key.expose().is_empty() {
            decode_hex(config.vault_key.expose()).ok_or_else(|| {
                anyhow::anyhow!(
                    "invalid configuration: key `payments.vault_key`: must be {} hex digits",
                    KEY_LEN * 2
                )
            })?
        } else if !config.vault_key_file.is_empty() {
            key_file(Path::new(&config.vault_key_file))?
        } else {
            tracing::warn!(
                "no payments.vault_key or vault_key_file: cards kept for a checkout do not survive a restart"
            );
            random::<KEY_LEN>()?
        };
        Vault::new(&key)
    }

    fn new(key: &[u8; KEY_LEN]) -> anyhow::Result<Vault> {
        let key = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| anyhow::anyhow!("the vault key is not an AES-256 key"))?;
        Ok(Vault {
            key: std::sync::Arc::new(LessSafeKey::new(key)),
        })
    }

    /// `card` sealed for `token`: the nonce and the ciphertext with its tag, base64.
    pub fn seal(&self, token: &str, card: &VaultCard) -> anyhow::Result<String> {
        let nonce = random::<NONCE_LEN>()?;
        let mut sealed = serde_json::to_vec(card).context("encode the card")?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(token.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("seal the card"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// The card sealed for `token`; an error when the key, the token or the bytes differ.
    pub fn open(&self, token: &str, sealed: &str) -> anyhow::Result<VaultCard> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .context("the vault row is not base64")?;
        anyhow::ensure!(bytes.len() > NONCE_LEN, "the vault row is too short");
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| anyhow::anyhow!("the vault row's nonce is malformed"))?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(token.as_bytes()), &mut in_out)
            .map_err(|_| anyhow::anyhow!("the vault row does not open with this key"))?;
        serde_json::from_slice(plain).context("decode the card")
    }
}

/// The key in `path`, made on first use.
fn key_file(path: &Path) -> anyhow::Result<[u8; KEY_LEN]> {
    let setting = "invalid configuration: key `payments.vault_key_file`";
    match std::fs::read_to_string(path) {
        Ok(text) => decode_hex(text.trim()).ok_or_else(|| {
            anyhow::anyhow!(
                "{setting}: {} does not hold {} hex digits",
                path.display(),
                KEY_LEN * 2
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = random::<KEY_LEN>()?;
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder)
                    .with_context(|| format!("{setting}: create {}", folder.display()))?;
            }
            write_private(path, &encode_hex(&key))
                .with_context(|| format!("{setting}: write {}", path.display()))?;
            tracing::info!(path = %path.display(), "made the card vault's key");
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("{setting}: read {}", path.display())),
    }
}

/// Writes a file that only its owner can read.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system random source failed"))?;
    Ok(bytes)
}

fn decode_hex(text: &str) -> Option<[u8; KEY_LEN]> {
    if text.len() != KEY_LEN * 2 || !text.is_ascii() {
        return None;
    }
    let mut key = [0u8; KEY_LEN];
    for (index, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(key)
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> VaultCard {
        VaultCard {
            number: "4242424242424242".to_owned(),
            exp_month: 12,
            exp_year: 2035,
            cvc: "123".to_owned(),
        }
    }

    #[test]
    fn a_sealed_card_opens_with_its_key_and_token_only() {
        let vault = Vault::new(&[7; KEY_LEN]).unwrap();
        let sealed = vault.seal("card_a", &card()).unwrap();
        assert!(!sealed.contains("4242"), "the number is not in the clear");
        assert_eq!(vault.open("card_a", &sealed).unwrap(), card());
        assert!(vault.open("card_b", &sealed).is_err(), "bound to its token");
        let other = Vault::new(&[8; KEY_LEN]).unwrap();
        assert!(other.open("card_a", &sealed).is_err(), "bound to its key");
        let mut tampered = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD.encode(tampered);
        assert!(vault.open("card_a", &tampered).is_err(), "tampering shows");
    }

    #[test]
    fn the_key_file_is_made_once_and_read_after() {
        let path = std::env::temp_dir()
            .join(format!("emporium-vault-{}", uuid::Uuid::new_v4().simple()))
            .join("vault.key");
        let first = key_file(&path).unwrap();
        assert_eq!(key_file(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let error = key_file(&path).unwrap_err().to_string();
        assert!(error.contains("payments.vault_key_file"), "{error}");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn debug_output_never_shows_a_card() {
        assert_eq!(format!("{:?}", card()), "VaultCard(***)");
    }
}
