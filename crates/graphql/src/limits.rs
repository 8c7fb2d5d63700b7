//! What keeps one query from costing the shop too much, and the codes of the errors that say
//! so. async-graphql limits depth and complexity; this extension limits aliases (one field asked
//! for a thousand times under different names) and gives every request-level error an
//! `extensions.code`, as resolvers' errors have.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, ValidationResult, Variables};

/// The alias limit, and the codes of request-level errors.
pub(crate) struct Limits {
    pub(crate) max_aliases: usize,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_aliases: self.max_aliases,
        })
    }
}

struct LimitsExtension {
    max_aliases: usize,
}

/// `error` with `code` (and the HTTP status REST would answer) in its extensions.
pub(crate) fn with_code(mut error: ServerError, code: &str, status: u16) -> ServerError {
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    extensions.set("code", code);
    extensions.set("status", status);
    extensions.set("classification", crate::errors::classification(status));
    error
}

/// The code of a validation error: what async-graphql's messages say.
fn validation_code(message: &str) -> &'static str {
    match message {
        "Query is nested too deep." => "query-too-deep",
        "Query is too complex." => "query-too-complex",
        _ => "graphql-validation",
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        next.run(ctx, request).await.map_err(|error| {
            // Apollo's clients send the query again on this code.
            if error.message == "PersistedQueryNotFound" {
                with_code(error, "PERSISTED_QUERY_NOT_FOUND", 200)
            } else {
                with_code(error, "persisted-query", 400)
            }
        })
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|error| with_code(error, "graphql-parse", 400))?;
        let aliases = count_aliases(&document);
        if aliases > self.max_aliases {
            return Err(with_code(
                ServerError::new(
                    format!(
                        "the query uses {aliases} aliases; at most {} are allowed",
                        self.max_aliases
                    ),
                    None,
                ),
                "too-many-aliases",
                400,
            ));
        }
        Ok(document)
    }

    /// An error of async-graphql's own while running the query, which no resolver gave a code:
    /// an argument it could not read (`Failed to parse "Int"`) is the caller's, anything else
    /// ours.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> async_graphql::Response {
        let mut response = next.run(ctx, operation_name).await;
        let errors = std::mem::take(&mut response.errors);
        response.errors = errors
            .into_iter()
            .map(|error| {
                match error
                    .extensions
                    .as_ref()
                    .and_then(|values| values.get("code"))
                {
                    Some(_) => error,
                    None if error.message.starts_with("Failed to parse") => {
                        with_code(error, "validation", 400)
                    }
                    None => with_code(error, "error", 500),
                }
            })
            .collect();
        response
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| {
                    let code = validation_code(&error.message);
                    with_code(error, code, 400)
                })
                .collect()
        })
    }
}

/// Every alias the operations of `document` reach, a fragment counted at each spread of it
/// (so that fragments that spread each other twice cannot multiply aliases unseen).
fn count_aliases(document: &ExecutableDocument) -> usize {
    let mut counter = AliasCounter {
        document,
        totals: HashMap::new(),
        visiting: Vec::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| counter.in_selection_set(&operation.node.selection_set.node))
        .fold(0, usize::saturating_add)
}

struct AliasCounter<'a> {
    document: &'a ExecutableDocument,
    /// Each fragment's count, once known.
    totals: HashMap<String, usize>,
    /// The fragments being counted, to stop at a cycle (validation refuses those later).
    visiting: Vec<String>,
}

impl AliasCounter<'_> {
    fn in_selection_set(&mut self, set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => usize::from(field.node.alias.is_some())
                    .saturating_add(self.in_selection_set(&field.node.selection_set.node)),
                Selection::InlineFragment(fragment) => {
                    self.in_selection_set(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    self.in_fragment(spread.node.fragment_name.node.as_str())
                }
            })
            .fold(0, usize::saturating_add)
    }

    fn in_fragment(&mut self, name: &str) -> usize {
        if let Some(total) = self.totals.get(name) {
            return *total;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        if self.visiting.iter().any(|visiting| visiting == name) {
            return 0;
        }
        self.visiting.push(name.to_owned());
        let total = self.in_selection_set(&fragment.node.selection_set.node);
        self.visiting.pop();
        self.totals.insert(name.to_owned(), total);
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_counted_in_operations_fragments_and_nested_fields() {
        let document = async_graphql::parser::parse_query(
            "query { a: product(sku: \"A\") { n: name } b: product(sku: \"B\") { ...F } }
             fragment F on Product { x: sku, y: name, ... on Product { z: sku } }",
        )
        .unwrap();
        assert_eq!(count_aliases(&document), 6);
    }

    #[test]
    fn fragments_that_spread_each_other_twice_count_at_every_spread() {
        let document = async_graphql::parser::parse_query(
            "query { ...A }
             fragment A on Query { a: categories { ...B } b: categories { ...B } }
             fragment B on Category { c: slug d: name }",
        )
        .unwrap();
        assert_eq!(count_aliases(&document), 2 + 2 * 2);
        let cycle = async_graphql::parser::parse_query(
            "query { ...A } fragment A on Query { a: categories { slug } ...A }",
        )
        .unwrap();
        assert_eq!(count_aliases(&cycle), 1);
    }
}
