//! `emporium new service <name>` and `emporium new function <name>`: the golden path as a
//! command. A service comes out as a crate shaped like every other (lib, domain, store, grpc,
//! error, migrations for both engines, its `.proto`, an integration test) with its place in the
//! binary, the Helm values, a dashboard, alert rules, the software catalog, a data contract and
//! a runbook, so that it builds, passes its tests, starts in both modes and shows on `/metrics`
//! and in the portal with no edit by hand. A function comes out as an AssemblyScript guest that
//! `guests/build.sh` builds and `emporium fn deploy` deploys.
//!
//! Nothing is written unless everything can be: the checks (the name, the checkout, the files
//! that must not exist yet, the places the edits go) come first.

mod function;
mod service;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// What `emporium new` makes.
#[derive(Debug, clap::Subcommand)]
pub enum New {
    /// A service crate on the golden path, wired into the binary, the chart, the dashboards,
    /// the alerts, the catalog and the docs.
    Service {
        /// Its name: lowercase letters and digits, starting with a letter (`reviews`).
        name: String,
        /// The group of the software catalog that owns it.
        #[arg(long, default_value = "platform")]
        owner: String,
        /// One line on what it does.
        #[arg(long, default_value = "A service made on the golden path")]
        description: String,
        /// The root of the Emporium checkout to add it to.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// An AssemblyScript function with a route of its own (`/fn/<name>`), in guests/.
    Function {
        /// Its name: lowercase letters, digits and dashes, starting with a letter (`greeter`).
        name: String,
        /// The root of the Emporium checkout to add it to.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

/// Makes what `new` asks for and says what was written and what to run next.
pub fn run(new: New) -> anyhow::Result<String> {
    match new {
        New::Service {
            name,
            owner,
            description,
            root,
        } => service::create(&root, &name, &owner, &description),
        New::Function { name, root } => function::create(&root, &name),
    }
}

/// A template's placeholders and what each becomes.
struct Names {
    pairs: Vec<(&'static str, String)>,
}

impl Names {
    fn render(&self, template: &str) -> String {
        self.pairs
            .iter()
            .fold(template.to_owned(), |text, (placeholder, value)| {
                text.replace(placeholder, value)
            })
    }
}

/// `reviews` → `Reviews`, `gift-cards` → `GiftCards`.
fn camel(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A file to write, relative to the checkout's root, and its text.
struct File {
    path: PathBuf,
    text: String,
}

/// A change to a file that exists: its path and its new text, the shape of a new file.
type Edit = File;

/// Writes `files` (none may exist yet) and `edits`, once all of them are known to be possible;
/// answers the paths, relative to `root`.
fn write(root: &Path, files: &[File], edits: &[Edit]) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(taken) = files.iter().find(|file| root.join(&file.path).exists()) {
        anyhow::bail!(
            "{} exists already: nothing was written",
            taken.path.display()
        );
    }
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("make the folder {}", folder.display()))?;
        }
        // `create_new`: a file (or a link) that appeared since the check is not overwritten.
        let made = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut opened| std::io::Write::write_all(&mut opened, file.text.as_bytes()));
        if let Err(error) = made {
            for done in &written {
                let _ = std::fs::remove_file(root.join(done));
            }
            return Err(error)
                .with_context(|| format!("write {}: nothing was kept", path.display()));
        }
        written.push(file.path.clone());
    }
    for edit in edits {
        let path = root.join(&edit.path);
        std::fs::write(&path, &edit.text).with_context(|| format!("write {}", path.display()))?;
        written.push(edit.path.clone());
    }
    Ok(written)
}

/// The text of `relative` under `root`, or an error that says where `new` expects to run.
fn read(root: &Path, relative: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(root.join(relative)).with_context(|| {
        format!(
            "read {relative} under {}: run `emporium new` at the root of an Emporium checkout, or pass --root",
            root.display()
        )
    })
}

/// `text` with `insert` put on the line after the last line that `after` accepts, or an error
/// that names the file and what it looked for.
fn insert_after(
    text: &str,
    file: &str,
    looked_for: &str,
    after: impl Fn(&str) -> bool,
    insert: &str,
) -> anyhow::Result<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines
        .iter()
        .rposition(|line| after(line.trim_end_matches('\n')))
        .with_context(|| format!("{file} has no {looked_for} to add the new lines after"))?;
    let mut out = String::with_capacity(text.len() + insert.len());
    for line in &lines[..=at] {
        out.push_str(line);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(insert);
    for line in &lines[at + 1..] {
        out.push_str(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_types_and_placeholders_are_filled() {
        assert_eq!(camel("reviews"), "Reviews");
        assert_eq!(camel("gift-cards"), "GiftCards");
        let names = Names {
            pairs: vec![
                ("@name@", "reviews".to_owned()),
                ("@Name@", "Reviews".to_owned()),
            ],
        };
        assert_eq!(names.render("@Name@ of @name@"), "Reviews of reviews");
    }

    #[test]
    fn lines_go_after_the_last_match_or_the_file_is_named() {
        let text = "a = 1\nb = 2\nc = 3\n";
        let done = insert_after(
            text,
            "x.toml",
            "a key",
            |line| line.contains(" = "),
            "d = 4\n",
        );
        assert_eq!(done.unwrap(), "a = 1\nb = 2\nc = 3\nd = 4\n");
        let missing = insert_after(text, "x.toml", "a section", |line| line == "[x]", "");
        assert_eq!(
            missing.unwrap_err().to_string(),
            "x.toml has no a section to add the new lines after"
        );
    }
}
