//! The edge's body checks against hand-made schemas: every problem is found, each at its pointer.

use serde_json::json;
use utoipa::ToSchema;

use super::{FieldProblem, Schema};

#[derive(ToSchema)]
#[allow(dead_code)]
struct Line {
    #[schema(pattern = "^[A-Z]{3}-[0-9]{5}$")]
    sku: String,
    #[schema(minimum = 1, maximum = 99)]
    quantity: u32,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Order {
    #[schema(min_length = 1, max_length = 10)]
    name: String,
    #[schema(min_items = 1, max_items = 2)]
    lines: Vec<Line>,
    note: Option<String>,
}

fn pointers(problems: &[FieldProblem]) -> Vec<&str> {
    problems
        .iter()
        .map(|problem| problem.pointer.as_str())
        .collect()
}

#[test]
fn a_body_that_keeps_the_schema_has_no_problems() {
    let body = json!({"name": "Ada", "lines": [{"sku": "KIT-00042", "quantity": 2}]});

    assert_eq!(Schema::of::<Order>().check(&body), Vec::new());
}

#[test]
fn every_problem_of_a_body_is_reported_at_its_pointer() {
    let body = json!({
        "name": "",
        "lines": [{"sku": "kit", "quantity": 0}, {"quantity": 100}],
    });

    let problems = Schema::of::<Order>().check(&body);

    assert_eq!(
        pointers(&problems),
        [
            "/lines/0/quantity",
            "/lines/0/sku",
            "/lines/1/sku",
            "/lines/1/quantity",
            "/name"
        ]
    );
    let details: Vec<&str> = problems
        .iter()
        .map(|problem| problem.detail.as_str())
        .collect();
    assert!(details.contains(&"must not be empty"), "{details:?}");
    assert!(details.contains(&"is required"), "{details:?}");
    assert!(details.contains(&"must be at least 1"), "{details:?}");
    assert!(details.contains(&"must be at most 99"), "{details:?}");
}

#[test]
fn a_value_of_the_wrong_type_is_named_once_and_not_checked_further() {
    let body = json!({"name": 7, "lines": "none"});

    let problems = Schema::of::<Order>().check(&body);

    assert_eq!(
        problems,
        [
            FieldProblem {
                pointer: "/lines".into(),
                detail: "must be an array".into()
            },
            FieldProblem {
                pointer: "/name".into(),
                detail: "must be a string".into()
            },
        ]
    );
}

#[test]
fn an_optional_field_takes_null_and_a_missing_one_is_fine() {
    let body = json!({"name": "Ada", "lines": [{"sku": "KIT-00042", "quantity": 1}], "note": null});

    assert!(Schema::of::<Order>().check(&body).is_empty());
}

#[test]
fn an_integer_is_held_to_its_format_range() {
    let body = json!({"name": "Ada", "lines": [{"sku": "KIT-00042", "quantity": -1}]});

    let problems = Schema::of::<Order>().check(&body);

    assert_eq!(pointers(&problems), ["/lines/0/quantity"]);
}

#[test]
fn too_many_items_are_a_problem_of_the_array() {
    let line = json!({"sku": "KIT-00042", "quantity": 1});
    let body = json!({"name": "Ada", "lines": [line, line, line]});

    let problems = Schema::of::<Order>().check(&body);

    assert_eq!(
        problems,
        [FieldProblem {
            pointer: "/lines".into(),
            detail: "must have at most 2 items".into()
        }]
    );
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Reading {
    count: u32,
    #[schema(value_type = Object)]
    notes: serde_json::Map<String, serde_json::Value>,
}

#[test]
fn a_whole_float_becomes_an_integer_only_where_the_schema_asks_for_one() {
    let schema = Schema::of::<Reading>();
    let mut body = json!({"count": 2.0, "notes": {"weight": 1.0}});

    assert!(schema.check(&body).is_empty(), "2.0 is an integer");
    schema.coerce_integers(&mut body);

    assert!(body["count"].is_u64() || body["count"].is_i64());
    assert!(
        body["notes"]["weight"].is_f64(),
        "a free-form value keeps its form"
    );
}

#[test]
fn patterns_mean_what_ecma_262_means_by_their_class_escapes() {
    let pattern = regex::Regex::new(&super::ecma_classes(r"^[a-z]+:\S(.{0,3}\S)?$")).unwrap();
    // U+0085 is whitespace to Rust's Unicode `\s`, not to ECMA-262's: Schemathesis sent it.
    assert!(pattern.is_match("color:\u{d3}\u{85}"));
    assert!(!pattern.is_match("color: red"), "a leading space");
    assert!(
        !pattern.is_match("color:red\u{a0}"),
        "no-break space is ECMA whitespace"
    );
    let digits = regex::Regex::new(&super::ecma_classes(r"^\d+\\d$")).unwrap();
    assert!(digits.is_match(r"12\d"), "an escaped backslash stays one");
    assert!(
        !digits.is_match("\u{661}\\d"),
        "Arabic-Indic digits are not ECMA's \\d"
    );
}
