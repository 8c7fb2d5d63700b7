//! Whether a contract may replace the one that was published: what consumers of the published
//! one relied on must still hold, unless the new one says so with a new major version. A
//! consumer relies on every table and column it read being there, with the same type, never null
//! where it was required, keyed the same, and taking no value outside the listed ones; adding a
//! table or a column, tightening a column to required, or listing fewer values breaks nobody.

use crate::contract::{Column, Contract, Table};

/// What in `proposed` breaks a consumer of `published`, one line each.
pub fn breaking_changes(published: &Contract, proposed: &Contract) -> Vec<String> {
    let mut found = Vec::new();
    for before in &published.tables {
        match proposed.table(&before.name) {
            None => found.push(format!("table {} was removed", before.name)),
            Some(after) => table_changes(before, after, &mut found),
        }
    }
    found
}

fn table_changes(before: &Table, after: &Table, found: &mut Vec<String>) {
    let key = |table: &Table| -> Vec<String> {
        let keyed = table.columns.iter().filter(|column| column.primary_key);
        keyed.map(|column| column.name.clone()).collect()
    };
    if key(before) != key(after) {
        found.push(format!(
            "{}: the key changed from ({}) to ({})",
            before.name,
            key(before).join(", "),
            key(after).join(", ")
        ));
    }
    for column in &before.columns {
        let place = format!("{}.{}", before.name, column.name);
        match after.columns.iter().find(|other| other.name == column.name) {
            None => found.push(format!("{place} was removed")),
            Some(other) => column_changes(&place, column, other, found),
        }
    }
}

fn column_changes(place: &str, before: &Column, after: &Column, found: &mut Vec<String>) {
    if before.logical_type != after.logical_type {
        found.push(format!(
            "{place} changed type from {} to {}",
            before.logical_type.as_str(),
            after.logical_type.as_str()
        ));
    }
    if before.required && !after.required {
        found.push(format!("{place} may now be null"));
    }
    if !before.valid_values.is_empty() {
        let added: Vec<&str> = after
            .valid_values
            .iter()
            .filter(|value| !before.valid_values.contains(value))
            .map(String::as_str)
            .collect();
        if after.valid_values.is_empty() {
            found.push(format!("{place} no longer lists the values it takes"));
        } else if !added.is_empty() {
            found.push(format!("{place} takes new values: {}", added.join(", ")));
        }
    }
}

/// `Ok` when `proposed` may replace `published`: the same product, a version not lower, and
/// any breaking change under a new major version; otherwise what is wrong.
pub fn check(published: &Contract, proposed: &Contract) -> Result<(), String> {
    if published.id != proposed.id {
        return Err(format!(
            "the id changed from {} to {}: that is another product",
            published.id, proposed.id
        ));
    }
    if proposed.version < published.version {
        return Err(format!(
            "{}: version {} is below the published {}",
            proposed.id,
            dotted(proposed.version),
            dotted(published.version)
        ));
    }
    let breaking = breaking_changes(published, proposed);
    if !breaking.is_empty() && proposed.version.0 == published.version.0 {
        return Err(format!(
            "{}: version {} breaks the published {} without a new major version: {}",
            proposed.id,
            dotted(proposed.version),
            dotted(published.version),
            breaking.join("; ")
        ));
    }
    Ok(())
}

fn dotted((major, minor, patch): (u64, u64, u64)) -> String {
    format!("{major}.{minor}.{patch}")
}
