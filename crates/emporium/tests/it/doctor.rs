//! `emporium doctor` on the real binary: healthy settings pass; a port taken by another
//! program, a PostgreSQL and a NATS that do not answer, and a bad setting each fail, named
//! with their fix.

use std::net::TcpListener;

use crate::binary::emporium;

fn doctor(command: &mut std::process::Command) -> (bool, String) {
    let output = command.arg("doctor").output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), printed)
}

/// The line of the check `name` and the line after it (the fix, when there is one).
fn finding<'a>(printed: &'a str, name: &str) -> String {
    let lines: Vec<&'a str> = printed.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no check {name} in:\n{printed}"));
    lines[at..(at + 2).min(lines.len())].join("\n")
}

#[test]
fn the_doctor_passes_healthy_settings_and_names_each_problem_with_its_fix() {
    let folder = std::env::temp_dir().join(format!("emporium-doctor-{}", std::process::id()));
    let (healthy, printed) = doctor(emporium(&folder).env_remove("EMPORIUM_BUS_URL"));
    assert!(healthy, "{printed}");
    assert!(finding(&printed, "settings").starts_with("ok"), "{printed}");
    assert!(finding(&printed, "data").starts_with("ok"), "{printed}");
    assert!(
        finding(&printed, "event").contains("in this process"),
        "{printed}"
    );
    assert!(printed.contains("0 failed"), "{printed}");

    // Another program on the HTTP port; a NATS URL nobody answers.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_at = taken.local_addr().unwrap().to_string();
    let silent = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (healthy, printed) = doctor(
        emporium(&folder)
            .env("EMPORIUM_HTTP_ADDR", &taken_at)
            .env("EMPORIUM_BUS_URL", format!("nats://{silent}"))
            .env(
                "EMPORIUM_ORDERS__DATABASE_URL",
                format!("postgres://orders:hunter2@{silent}/orders"),
            ),
    );
    assert!(!healthy, "{printed}");
    let port = finding(&printed, "http_addr");
    assert!(
        port.starts_with("FAIL") && port.contains(&taken_at) && port.contains("EMPORIUM_HTTP_ADDR"),
        "{port}"
    );
    let orders = finding(&printed, "orders");
    assert!(
        orders.starts_with("FAIL") && orders.contains("EMPORIUM_ORDERS__DATABASE_URL"),
        "{orders}"
    );
    assert!(
        !printed.contains("hunter2"),
        "a password is never printed: {printed}"
    );
    let bus = finding(&printed, "event");
    assert!(
        bus.starts_with("FAIL") && bus.contains("nats-server -js"),
        "{bus}"
    );
    drop(taken);

    let (healthy, printed) = doctor(emporium(&folder).env("EMPORIUM_CART__MAX_LINES", "lots"));
    assert!(!healthy);
    let settings = finding(&printed, "settings");
    assert!(
        settings.starts_with("FAIL") && settings.contains("cart.max_lines"),
        "{settings}"
    );
    let _ = std::fs::remove_dir_all(&folder);
}
