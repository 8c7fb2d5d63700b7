//! Structured outputs held to their JSON Schema. The validator covers the part of JSON Schema
//! that structured outputs are written in (what OpenAI's strict mode accepts): `type` (one or
//! several), `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`,
//! `anyOf`, `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`. A keyword
//! outside it is refused when the schema is given, so that nothing passes unchecked.

use serde_json::Value;

/// The keywords understood; others are refused up front.
const KNOWN: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "anyOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "description",
    "title",
    "$schema",
    "default",
];

/// Refuses a schema with a keyword this validator does not check, naming where.
pub fn check_schema(schema: &Value, at: &str) -> Result<(), String> {
    let Some(object) = schema.as_object() else {
        return match schema {
            Value::Bool(_) => Ok(()),
            _ => Err(format!("{at}: a schema is an object")),
        };
    };
    for (keyword, value) in object {
        if !KNOWN.contains(&keyword.as_str()) {
            return Err(format!("{at}: the keyword `{keyword}` is not supported"));
        }
        match keyword.as_str() {
            "properties" => {
                for (name, property) in value.as_object().into_iter().flatten() {
                    check_schema(property, &format!("{at}/properties/{name}"))?;
                }
            }
            "items" | "additionalProperties" => check_schema(value, &format!("{at}/{keyword}"))?,
            "anyOf" => {
                for (n, branch) in value.as_array().into_iter().flatten().enumerate() {
                    check_schema(branch, &format!("{at}/anyOf/{n}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        _ => false,
    }
}

/// Where `value` breaks `schema` first, as a JSON pointer and what; `Ok` when it does not.
pub fn validate(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let Some(rules) = schema.as_object() else {
        return match schema {
            Value::Bool(false) => Err(format!("{at}: nothing is allowed here")),
            _ => Ok(()),
        };
    };
    if let Some(kind) = rules.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !kinds.iter().any(|kind| type_matches(kind, value)) {
            return Err(format!("{at}: not of type {}", kinds.join(" or ")));
        }
    }
    if let Some(allowed) = rules.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!(
            "{at}: not one of {}",
            Value::Array(allowed.clone())
        ));
    }
    if let Some(constant) = rules.get("const")
        && constant != value
    {
        return Err(format!("{at}: not {constant}"));
    }
    if let Some(branches) = rules.get("anyOf").and_then(Value::as_array)
        && !branches
            .iter()
            .any(|branch| validate(branch, value, at).is_ok())
    {
        return Err(format!("{at}: matches none of anyOf"));
    }
    bounds(rules, value, at)?;
    match value {
        Value::Object(fields) => object(rules, fields, at),
        Value::Array(items) => match rules.get("items") {
            Some(schema) => items
                .iter()
                .enumerate()
                .try_for_each(|(n, item)| validate(schema, item, &format!("{at}/{n}"))),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The numeric, length and size bounds.
fn bounds(rules: &serde_json::Map<String, Value>, value: &Value, at: &str) -> Result<(), String> {
    let limit = |name: &str| rules.get(name).and_then(Value::as_f64);
    if let Some(number) = value.as_f64() {
        if limit("minimum").is_some_and(|least| number < least) {
            return Err(format!("{at}: below the minimum"));
        }
        if limit("maximum").is_some_and(|most| number > most) {
            return Err(format!("{at}: above the maximum"));
        }
    }
    let size = match value {
        Value::String(text) => Some((text.chars().count() as f64, "Length")),
        Value::Array(items) => Some((items.len() as f64, "Items")),
        _ => None,
    };
    if let Some((size, unit)) = size {
        if limit(&format!("min{unit}")).is_some_and(|least| size < least) {
            return Err(format!("{at}: too short"));
        }
        if limit(&format!("max{unit}")).is_some_and(|most| size > most) {
            return Err(format!("{at}: too long"));
        }
    }
    Ok(())
}

fn object(
    rules: &serde_json::Map<String, Value>,
    fields: &serde_json::Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    for name in rules
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = name.as_str()
            && !fields.contains_key(name)
        {
            return Err(format!("{at}: `{name}` is required"));
        }
    }
    let properties = rules.get("properties").and_then(Value::as_object);
    for (name, field) in fields {
        let path = format!("{at}/{name}");
        match (
            properties.and_then(|known| known.get(name)),
            rules.get("additionalProperties"),
        ) {
            (Some(schema), _) => validate(schema, field, &path)?,
            (None, Some(extra)) => validate(extra, field, &path)?,
            (None, None) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_answer_is_held_to_its_schema_and_the_first_break_is_named() {
        let schema = json!({
            "type": "object",
            "properties": {
                "sku": {"type": "string", "minLength": 9},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
                "colour": {"enum": ["sage", "navy"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["sku", "quantity"],
            "additionalProperties": false,
        });
        check_schema(&schema, "").unwrap();
        let good = json!({"sku": "KIT-00001", "quantity": 2, "colour": "sage", "tags": ["a"], "note": null});
        assert_eq!(validate(&schema, &good, ""), Ok(()));
        let cases = [
            (json!({"quantity": 2}), "`sku` is required"),
            (
                json!({"sku": "KIT-00001", "quantity": 1.5}),
                "/quantity: not of type integer",
            ),
            (
                json!({"sku": "KIT-00001", "quantity": 100}),
                "/quantity: above the maximum",
            ),
            (
                json!({"sku": "KIT-00001", "quantity": 1, "colour": "red"}),
                "/colour: not one of",
            ),
            (
                json!({"sku": "KIT-00001", "quantity": 1, "tags": [1]}),
                "/tags/0: not of type string",
            ),
            (
                json!({"sku": "KIT-00001", "quantity": 1, "extra": 1}),
                "/extra: nothing is allowed",
            ),
            (json!({"sku": "KIT", "quantity": 1}), "/sku: too short"),
        ];
        for (value, expected) in cases {
            let found = validate(&schema, &value, "").unwrap_err();
            assert!(found.contains(expected), "{value}: {found}");
        }
        let unsupported = json!({"type": "object", "properties": {"a": {"pattern": "x"}}});
        assert_eq!(
            check_schema(&unsupported, ""),
            Err("/properties/a: the keyword `pattern` is not supported".to_owned())
        );
    }
}
