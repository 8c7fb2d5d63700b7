//! The document's rules, checked over every operation it lists.

use serde_json::Value;

fn operations() -> Vec<(String, Value)> {
    let document = serde_json::to_value(super::document()).unwrap();
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((
                format!("{} {path}", method.to_uppercase()),
                operation.clone(),
            ));
        }
    }
    found
}

#[test]
fn every_scope_the_document_names_is_declared_in_the_contract() {
    let mut named = 0;
    for (name, operation) in operations() {
        let requirements = operation["security"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for requirement in requirements {
            for scope in requirement["bearer"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let scope = scope.as_str().unwrap();
                named += 1;
                assert!(
                    proto::scopes::ALL.contains(&scope),
                    "{name} names the scope {scope}, which proto::scopes does not declare"
                );
            }
        }
    }
    assert!(named > 10, "the document names the scopes its routes need");
}

#[test]
fn every_error_status_answers_a_problem_document() {
    for (name, operation) in operations() {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if status.starts_with(['4', '5']) {
                let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ProblemDocument",
                    "{name} answers {status} without the problem schema"
                );
            }
        }
    }
}

#[test]
fn a_route_that_takes_a_body_documents_the_body_statuses() {
    for (name, operation) in operations() {
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    operation["responses"][status].is_object(),
                    "{name} takes a body but does not document {status}"
                );
            }
        }
    }
}

#[test]
fn every_response_has_a_description() {
    for (name, operation) in operations() {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let description = response["description"].as_str().unwrap_or_default();
            assert!(
                !description.is_empty(),
                "{name} answers {status} without a description"
            );
        }
    }
}

#[test]
fn a_checkout_requires_its_idempotency_key() {
    let (_, checkout) = operations()
        .into_iter()
        .find(|(name, _)| name == "POST /api/v1/checkout")
        .unwrap();
    let key = checkout["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "Idempotency-Key")
        .unwrap();
    assert_eq!(key["in"], "header");
    assert_eq!(key["required"], true);
}

#[test]
fn the_login_scope_pattern_takes_the_shoppers_scopes() {
    let document = serde_json::to_value(super::document()).unwrap();
    let pattern = document["components"]["schemas"]["LogIn"]["properties"]["scope"]["pattern"]
        .as_str()
        .unwrap();
    let pattern = regex::Regex::new(pattern).unwrap();
    assert!(pattern.is_match(&proto::scopes::joined(proto::scopes::SHOPPER)));
    assert!(!pattern.is_match("catalog.admin"));
}

#[test]
fn every_pattern_the_document_publishes_is_one_the_edge_can_enforce() {
    fn patterns(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(pattern)) = fields.get("pattern") {
                    found.push(pattern.clone());
                }
                fields.values().for_each(|field| patterns(field, found));
            }
            Value::Array(items) => items.iter().for_each(|item| patterns(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    patterns(
        &serde_json::to_value(super::document()).unwrap(),
        &mut found,
    );
    assert!(found.len() > 10, "the document states its patterns");
    for pattern in found {
        assert!(
            regex::Regex::new(&pattern).is_ok(),
            "`{pattern}` does not compile"
        );
    }
}

/// The document is a reviewed file, `docs/api/openapi.json`, which the software catalog names
/// as the REST API's definition: a change to the API shows in a diff. `EMPORIUM_UPDATE_OPENAPI=1`
/// writes the new one.
#[test]
fn the_committed_document_is_the_one_served() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api/openapi.json");
    let served = serde_json::to_value(super::document()).unwrap();
    let generated = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os("EMPORIUM_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/api/openapi.json differs from the document the gateway serves; \
         run `EMPORIUM_UPDATE_OPENAPI=1 cargo test -p gateway --lib openapi` and review the diff"
    );
}
