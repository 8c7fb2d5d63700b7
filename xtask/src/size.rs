//! The size rules: no function in `crates/*/src` over `MAX_FUNCTION_LINES`, no file over
//! `MAX_FILE_LINES`.

use std::path::Path;

/// About 80 lines: a function that fits on a screen.
const MAX_FUNCTION_LINES: usize = 85;
/// About 600 lines: split by resource or concern before that.
const MAX_FILE_LINES: usize = 600;

/// Every function and file over its limit.
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(crates) = std::fs::read_dir(root.join("crates")) else {
        return problems;
    };
    let mut folders: Vec<_> = crates
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    folders.sort();
    for folder in folders {
        for file in crate::tidy::rust_files(&folder.join("src")) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let name = crate::tidy::relative(root, &file);
            let lines = text.lines().count();
            if lines > MAX_FILE_LINES {
                problems.push(format!(
                    "{name} has {lines} lines; split it by resource or concern (at most {MAX_FILE_LINES})"
                ));
            }
            for (function, length) in long_functions(&text) {
                problems.push(format!(
                    "{name}: fn {function} runs {length} lines (at most {MAX_FUNCTION_LINES})"
                ));
            }
        }
    }
    problems
}

/// Functions longer than the limit: `(name, lines)`. A function runs from its `fn` line to the
/// closing brace at the indentation it opened with.
fn long_functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let Some(name) = function_name(line) else {
            index += 1;
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let closing = " ".repeat(indent) + "}";
        let end = (index + 1..lines.len())
            .find(|&at| {
                lines[at].starts_with(&closing)
                    && lines[at].trim_start().starts_with('}')
                    && lines[at].len() - lines[at].trim_start().len() == indent
            })
            .unwrap_or(index);
        let length = end - index + 1;
        if length > MAX_FUNCTION_LINES {
            long.push((name, length));
        }
        index = end.max(index) + 1;
    }
    long
}

/// The name of the function that `line` declares, if it declares one with a body.
fn function_name(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let rest = ["pub(crate) ", "pub(super) ", "pub ", ""]
        .iter()
        .find_map(|visibility| trimmed.strip_prefix(visibility))?;
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let rest = rest.strip_prefix("fn ")?;
    if line.trim_end().ends_with(';') {
        return None;
    }
    let name: String = rest
        .chars()
        .take_while(|character| character.is_alphanumeric() || *character == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_is_measured_from_its_fn_line_to_its_closing_brace() {
        let body = "    let x = 1;\n".repeat(MAX_FUNCTION_LINES);
        let text = format!(
            "//! A file.\nfn short() {{\n    1;\n}}\n\nimpl X {{\n    pub async fn long(&self) {{\n{body}    }}\n}}\n"
        );
        assert_eq!(
            long_functions(&text),
            [("long".to_owned(), MAX_FUNCTION_LINES + 2)]
        );
    }
}
