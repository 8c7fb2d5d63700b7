//! Senders of email: the mailbox on disk (the default, which tests and people can read) and the
//! trait any other sender (SMTP, a provider's API) implements.

use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;

/// An email to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// Unique per message; sending the same id twice delivers it once.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Email {
    /// The message as RFC 5322 text.
    pub fn to_rfc5322(&self) -> String {
        format!(
            "Message-ID: <{}@emporium.local>\r\nFrom: Emporium <orders@emporium.local>\r\nTo: {}\r\nSubject: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            self.id, self.to, self.subject, self.body
        )
    }
}

/// Something that delivers email.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// A mailbox on disk: one folder per recipient, one `.eml` file per message, named by its id,
/// so that a message sent twice is one file.
#[derive(Clone, Debug)]
pub struct Mailbox {
    root: PathBuf,
}

impl Mailbox {
    pub fn new(root: impl Into<PathBuf>) -> Mailbox {
        Mailbox { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every message a recipient has, oldest first by name.
    pub fn messages(&self, recipient: &str) -> anyhow::Result<Vec<String>> {
        let folder = self.root.join(folder_name(recipient));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            return Ok(Vec::new());
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|path| Ok(std::fs::read_to_string(path)?))
            .collect()
    }
}

impl Sender for Mailbox {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let folder = self.root.join(folder_name(&email.to));
            let file = folder.join(format!("{}.eml", sanitize(&email.id)));
            // Write aside, then rename: a reader never sees half a message.
            let partial = folder.join(format!(".{}.partial", sanitize(&email.id)));
            let text = email.to_rfc5322();
            // One trip to the blocking pool for the three calls, not one each.
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::create_dir_all(&folder)?;
                std::fs::write(&partial, text)?;
                std::fs::rename(&partial, &file)
            })
            .await??;
            Ok(())
        })
    }
}

/// A recipient's folder: the address with anything but letters, digits, `@._-` replaced.
fn folder_name(recipient: &str) -> String {
    sanitize(&recipient.to_ascii_lowercase())
}

fn sanitize(raw: &str) -> String {
    raw.chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || "@._-".contains(character) {
                character
            } else {
                '_'
            }
        })
        .collect()
}
