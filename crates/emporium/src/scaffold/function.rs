//! `emporium new function <name>`: an AssemblyScript guest with a route of its own, which
//! `guests/build.sh` builds into `guests/wasm/<name>.wasm` (it builds every `.ts` module of
//! `guests/assemblyscript/assembly` but the host calls' wrapper).

use std::path::{Path, PathBuf};

use super::{File, Names, write};

const TEMPLATE: &str = include_str!("../../templates/function/route.ts.tmpl");
const FOLDER: &str = "guests/assemblyscript/assembly";

pub(super) fn create(root: &Path, name: &str) -> anyhow::Result<String> {
    functions::domain::check_name(name).map_err(|invalid| anyhow::anyhow!("{}", invalid.reason))?;
    if name == "emporium" {
        anyhow::bail!(
            "`emporium` is the host calls' wrapper ({FOLDER}/emporium.ts); pick another name"
        );
    }
    if !root.join(FOLDER).join("emporium.ts").is_file() {
        anyhow::bail!(
            "{} has no {FOLDER}/emporium.ts: run `emporium new` at the root of an Emporium checkout, or pass --root",
            root.display()
        );
    }
    for taken in [
        format!("guests/wasm/{name}.wasm"),
        format!("guests/c/{name}.c"),
    ] {
        if root.join(&taken).exists() {
            anyhow::bail!(
                "{taken} exists already: a function of that name would overwrite it, or be overwritten"
            );
        }
    }
    let names = Names {
        pairs: vec![("@name@", name.to_owned())],
    };
    let file = File {
        path: PathBuf::from(format!("{FOLDER}/{name}.ts")),
        text: names.render(TEMPLATE),
    };
    let written = write(root, &[file], &[])?;
    Ok(format!(
        "made the function {name}: {}\n\nnext:\n  guests/build.sh\n  emporium fn deploy {name} guests/wasm/{name}.wasm --http --kv\n  curl <the shop's URL>/fn/{name}\n",
        written[0].display()
    ))
}
