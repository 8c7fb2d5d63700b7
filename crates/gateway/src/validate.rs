//! Request bodies checked against the very schemas the OpenAPI document publishes, so that the
//! document states every rule the edge enforces, and a body with several problems hears of all
//! of them at once. The services check again: this is the edge's first look, not the only one.

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, RwLock};

use serde_json::Value;
use utoipa::openapi::Required;
use utoipa::openapi::path::ParameterIn;
use utoipa::{IntoParams, ToSchema};

/// One thing wrong with a body: where (a JSON pointer) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldProblem {
    pub(crate) pointer: String,
    pub(crate) detail: String,
}

/// A type's schema as JSON, with the schemas it refers to and its patterns compiled.
pub(crate) struct Schema {
    root: Value,
    components: BTreeMap<String, Value>,
    patterns: HashMap<String, regex::Regex>,
}

/// Schemas by type and by what they are of: a body (`false`) or a query (`true`).
type Made = HashMap<(TypeId, bool), Arc<Schema>>;
static SCHEMAS: LazyLock<RwLock<Made>> = LazyLock::new(Default::default);

impl Schema {
    /// The schema of `T`, made once per type.
    pub(crate) fn of<T: ToSchema + 'static>() -> Arc<Schema> {
        Schema::cached::<T>(false, Schema::build::<T>)
    }

    /// The query parameters of `T` as one object schema, made once per type: each parameter a
    /// property, the required ones required.
    pub(crate) fn of_query<T: IntoParams + 'static>() -> Arc<Schema> {
        Schema::cached::<T>(true, || {
            let parameters = T::into_params(|| Some(ParameterIn::Query));
            let mut properties = serde_json::Map::new();
            let mut required = Vec::new();
            for parameter in parameters {
                let schema = parameter.schema.as_ref().map_or(Value::Null, to_json);
                if parameter.required == Required::True {
                    required.push(Value::String(parameter.name.clone()));
                }
                properties.insert(parameter.name, schema);
            }
            let root = serde_json::json!({
                "type": "object", "properties": properties, "required": required,
            });
            Schema::from_parts(root, BTreeMap::new())
        })
    }

    fn cached<T: 'static>(query: bool, make: impl FnOnce() -> Schema) -> Arc<Schema> {
        let id = (TypeId::of::<T>(), query);
        if let Some(schema) = SCHEMAS.read().ok().and_then(|map| map.get(&id).cloned()) {
            return schema;
        }
        let schema = Arc::new(make());
        if let Ok(mut map) = SCHEMAS.write() {
            map.insert(id, schema.clone());
        }
        schema
    }

    fn build<T: ToSchema>() -> Schema {
        let mut referred = Vec::new();
        T::schemas(&mut referred);
        let components: BTreeMap<String, Value> = referred
            .into_iter()
            .map(|(name, schema)| (name, to_json(&schema)))
            .collect();
        Schema::from_parts(to_json(&T::schema()), components)
    }

    fn from_parts(root: Value, components: BTreeMap<String, Value>) -> Schema {
        let mut patterns = HashMap::new();
        for schema in components.values().chain([&root]) {
            collect_patterns(schema, &mut patterns);
        }
        Schema {
            root,
            components,
            patterns,
        }
    }

    /// A property's declared type, for reading it from text (a query string).
    pub(crate) fn property_type(&self, name: &str) -> Option<&str> {
        let property = self.root.get("properties")?.get(name)?;
        let kind = self.resolve(property).get("type")?;
        match kind {
            Value::String(kind) => Some(kind),
            Value::Array(kinds) => kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|kind| *kind != "null"),
            _ => None,
        }
    }

    /// Every way `value` breaks the schema; empty when it keeps it.
    pub(crate) fn check(&self, value: &Value) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.check_at(value, &self.root, "", &mut problems);
        problems
    }

    /// Writes whole numbers given as floats (`2.0`, `1e2`) as integers where the schema asks for
    /// an integer, so that serde reads them; a free-form value keeps its form. After `check`.
    pub(crate) fn coerce_integers(&self, value: &mut Value) {
        self.coerce_at(value, &self.root);
    }

    fn coerce_at(&self, value: &mut Value, schema: &Value) {
        let schema = self.resolve(schema);
        if wants_integer(schema) {
            let whole = value
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15);
            if let (Some(float), false) = (whole, value.is_i64() || value.is_u64()) {
                *value = Value::from(float as i64);
            }
            return;
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            all.iter().for_each(|branch| self.coerce_at(value, branch));
        }
        if let Some(Value::Array(branches)) = schema.get("oneOf").or(schema.get("anyOf")) {
            let kept = branches.iter().find(|branch| {
                let mut problems = Vec::new();
                self.check_at(value, branch, "", &mut problems);
                problems.is_empty()
            });
            if let Some(branch) = kept {
                self.coerce_at(value, branch);
            }
        }
        match value {
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    items
                        .iter_mut()
                        .for_each(|item| self.coerce_at(item, item_schema));
                }
            }
            Value::Object(fields) => {
                let Some(Value::Object(properties)) = schema.get("properties") else {
                    return;
                };
                for (name, field) in fields.iter_mut() {
                    if let Some(field_schema) = properties.get(name) {
                        self.coerce_at(field, field_schema);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_at(&self, value: &Value, schema: &Value, at: &str, problems: &mut Vec<FieldProblem>) {
        let schema = self.resolve(schema);
        if let Some(branches) = schema.get("oneOf").or(schema.get("anyOf")) {
            self.check_branches(value, branches, at, problems);
        }
        if let Some(Value::Array(all)) = schema.get("allOf") {
            for branch in all {
                self.check_at(value, branch, at, problems);
            }
        }
        if let Some(expected) = schema.get("type")
            && !has_type(value, expected)
        {
            problems.push(problem(at, format!("must be {}", type_name(expected))));
            return;
        }
        if let Some(Value::Array(allowed)) = schema.get("enum")
            && !allowed.contains(value)
        {
            let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
            problems.push(problem(
                at,
                format!("must be one of {}", allowed.join(", ")),
            ));
        }
        match value {
            Value::String(text) => self.check_string(text, schema, at, problems),
            Value::Number(number) => check_number(number, schema, at, problems),
            Value::Array(items) => self.check_array(items, schema, at, problems),
            Value::Object(fields) => self.check_object(fields, schema, at, problems),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let name = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix("#/components/schemas/"));
        match name.and_then(|name| self.components.get(name)) {
            Some(target) => self.resolve(target),
            None => schema,
        }
    }

    /// A value must keep one of the branches; when it keeps none, the problems of the branch
    /// it came closest to are reported.
    fn check_branches(
        &self,
        value: &Value,
        branches: &Value,
        at: &str,
        out: &mut Vec<FieldProblem>,
    ) {
        let Value::Array(branches) = branches else {
            return;
        };
        let mut closest: Option<Vec<FieldProblem>> = None;
        for branch in branches {
            let mut problems = Vec::new();
            self.check_at(value, branch, at, &mut problems);
            if problems.is_empty() {
                return;
            }
            if closest
                .as_ref()
                .is_none_or(|best| problems.len() < best.len())
            {
                closest = Some(problems);
            }
        }
        out.extend(closest.unwrap_or_default());
    }

    fn check_string(&self, text: &str, schema: &Value, at: &str, problems: &mut Vec<FieldProblem>) {
        let length = text.chars().count() as u64;
        if let Some(least) = schema.get("minLength").and_then(Value::as_u64)
            && length < least
        {
            let detail = if least == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {least} characters")
            };
            problems.push(problem(at, detail));
        }
        if let Some(most) = schema.get("maxLength").and_then(Value::as_u64)
            && length > most
        {
            problems.push(problem(at, format!("must be at most {most} characters")));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && self
                .patterns
                .get(pattern)
                .is_some_and(|regex| !regex.is_match(text))
        {
            problems.push(problem(at, format!("must match the pattern `{pattern}`")));
        }
    }

    fn check_array(
        &self,
        items: &[Value],
        schema: &Value,
        at: &str,
        problems: &mut Vec<FieldProblem>,
    ) {
        let count = items.len() as u64;
        if let Some(least) = schema.get("minItems").and_then(Value::as_u64)
            && count < least
        {
            problems.push(problem(at, format!("must have at least {least} items")));
        }
        if let Some(most) = schema.get("maxItems").and_then(Value::as_u64)
            && count > most
        {
            problems.push(problem(at, format!("must have at most {most} items")));
        }
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.check_at(item, item_schema, &format!("{at}/{index}"), problems);
            }
        }
    }

    fn check_object(
        &self,
        fields: &serde_json::Map<String, Value>,
        schema: &Value,
        at: &str,
        problems: &mut Vec<FieldProblem>,
    ) {
        let empty = serde_json::Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    problems.push(problem(&pointer(at, name), "is required".to_owned()));
                }
            }
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (name, field) in fields {
            match properties.get(name) {
                Some(field_schema) => {
                    self.check_at(field, field_schema, &pointer(at, name), problems)
                }
                None if closed => problems.push(problem(
                    &pointer(at, name),
                    "is not a known field".to_owned(),
                )),
                None => {}
            }
        }
    }
}

fn to_json<S: serde::Serialize>(schema: &S) -> Value {
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// ECMA-262's whitespace, which JSON Schema's patterns mean by `\s`: Rust's Unicode `\s`
/// also holds U+0085, so a value ending in it matched `\S` for a client that follows the
/// standard (Schemathesis found one) and not here.
const ECMA_SPACE: &str =
    r"\t\n\x0B\f\r \u{A0}\u{1680}\u{2000}-\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}\u{FEFF}";

/// `pattern` with the class escapes `\s \S \d \D \w \W` spelt out as ECMA-262 defines them
/// (ASCII digits and word characters, its own whitespace), for Rust's regex engine.
fn ecma_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push_str(&format!("[{ECMA_SPACE}]")),
            Some('S') => out.push_str(&format!("[^{ECMA_SPACE}]")),
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[A-Za-z0-9_]"),
            Some('W') => out.push_str("[^A-Za-z0-9_]"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn collect_patterns(schema: &Value, patterns: &mut HashMap<String, regex::Regex>) {
    match schema {
        Value::Object(fields) => {
            if let Some(Value::String(pattern)) = fields.get("pattern")
                && let Ok(regex) = regex::Regex::new(&ecma_classes(pattern))
            {
                patterns.insert(pattern.clone(), regex);
            }
            fields
                .values()
                .for_each(|value| collect_patterns(value, patterns));
        }
        Value::Array(values) => values
            .iter()
            .for_each(|value| collect_patterns(value, patterns)),
        _ => {}
    }
}

fn check_number(
    number: &serde_json::Number,
    schema: &Value,
    at: &str,
    problems: &mut Vec<FieldProblem>,
) {
    let Some(value) = number.as_f64() else {
        return;
    };
    let (low, high) = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => (f64::from(i32::MIN), f64::from(i32::MAX)),
        Some("uint32") => (0.0, f64::from(u32::MAX)),
        Some("int64") => (i64::MIN as f64, i64::MAX as f64),
        Some("uint64") => (0.0, u64::MAX as f64),
        _ => (f64::MIN, f64::MAX),
    };
    let low = schema
        .get("minimum")
        .and_then(Value::as_f64)
        .map_or(low, |minimum| minimum.max(low));
    let high = schema
        .get("maximum")
        .and_then(Value::as_f64)
        .map_or(high, |maximum| maximum.min(high));
    if value < low {
        problems.push(problem(at, format!("must be at least {low}")));
    } else if value > high {
        problems.push(problem(at, format!("must be at most {high}")));
    }
}

/// Whether a schema's type is an integer (possibly null), not any number.
fn wants_integer(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "integer",
        Some(Value::Array(kinds)) => {
            kinds.iter().any(|kind| kind == "integer") && !kinds.iter().any(|kind| kind == "number")
        }
        _ => false,
    }
}

fn has_type(value: &Value, expected: &Value) -> bool {
    match expected {
        Value::String(name) => is_type(value, name),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|name| is_type(value, name)),
        _ => true,
    }
}

fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "string" => value.is_string(),
        // JSON Schema counts a number with no fraction as an integer: 2.0 is one.
        "integer" => value.as_f64().is_some_and(|number| number.fract() == 0.0),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn type_name(expected: &Value) -> String {
    let names: Vec<&str> = match expected {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let article = |name: &&str| match *name {
        "null" => "null".to_owned(),
        "array" | "integer" | "object" => format!("an {name}"),
        other => format!("a {other}"),
    };
    names.iter().map(article).collect::<Vec<_>>().join(" or ")
}

fn pointer(at: &str, name: &str) -> String {
    format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"))
}

fn problem(at: &str, detail: String) -> FieldProblem {
    FieldProblem {
        pointer: at.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests;
