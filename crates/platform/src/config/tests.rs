//! Tests of layered configuration.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::*;

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Example {
    port: u16,
    name: String,
    nested: Nested,
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
struct Nested {
    limit: u32,
}

#[test]
fn a_toml_file_overrides_the_defaults() {
    let mut file = tempfile_with("port = 8080\n[nested]\nlimit = 3\n");
    file.flush().unwrap();
    let loaded: Example = load(Some(file.path())).unwrap();
    assert_eq!(loaded.port, 8080);
    assert_eq!(loaded.nested.limit, 3);
    assert_eq!(loaded.name, "");
}

#[test]
fn a_bad_value_names_its_key() {
    let file = tempfile_with("port = \"not a number\"\n");
    let error = load::<Example>(Some(file.path())).unwrap_err().to_string();
    assert!(error.contains("port"), "{error}");
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let error = load::<Example>(Some(Path::new("/nonexistent/emporium.toml")))
        .unwrap_err()
        .to_string();
    assert!(error.contains("/nonexistent/emporium.toml"), "{error}");
}

#[test]
fn secrets_never_print() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "Secret(***)");
    assert_eq!(secret.expose(), "hunter2");
}

struct TempFile {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl TempFile {
    fn path(&self) -> &Path {
        &self.path
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn tempfile_with(contents: &str) -> TempFile {
    let path = std::env::temp_dir().join(format!("emporium-config-{}.toml", uuid::Uuid::new_v4()));
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    TempFile { path, file }
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
struct Flattened {
    port: u16,
    #[serde(flatten)]
    sections: Sections,
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
struct Sections {
    nested: Nested,
}

#[test]
fn a_key_that_names_no_setting_is_refused_with_its_path() {
    let file = tempfile_with("port = 1\n[nested]\nlimit = 3\nlimmit = 4\n");
    let error = load::<Flattened>(Some(file.path()))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("key `nested.limmit`: no such setting"),
        "{error}"
    );
    let file = tempfile_with("port = 1\n[nested]\nlimit = 3\n");
    let loaded = load::<Flattened>(Some(file.path())).unwrap();
    assert_eq!(loaded.sections.nested.limit, 3, "flattened parts are read");
}

#[test]
fn a_bad_value_of_a_key_that_may_hold_a_secret_is_named_but_not_shown() {
    let shown = what_is_wrong(
        "inference.llm.providers",
        &figment::error::Kind::InvalidType(
            figment::error::Actual::Str("sk-live-123".to_owned()),
            "a sequence".to_owned(),
        ),
    );
    assert_eq!(
        shown,
        "invalid type: expected a sequence (the value is not shown)"
    );
    let port = what_is_wrong(
        "port",
        &figment::error::Kind::InvalidType(
            figment::error::Actual::Str("x".to_owned()),
            "u16".to_owned(),
        ),
    );
    assert!(port.contains("\"x\""), "{port}");
}
