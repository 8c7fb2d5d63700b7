// Starts GraphiQL on /graphql: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws at /graphql/ws. Put `{"Authorization": "Bearer <token>"}` in the headers
// tab to act as a shopper (`emporium token` prints one).
"use strict";
(function () {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    subscriptionUrl: scheme + "//" + window.location.host + "/graphql/ws",
  });
  const defaultQuery = [
    "# Products with their stock and category; add a bearer token in Headers for `me`.",
    "query Products {",
    "  products(first: 5, category: \"kitchen\") {",
    "    totalCount",
    "    edges { cursor node { sku name price { amount currency } stock { available } category { name } } }",
    "    pageInfo { hasNextPage endCursor }",
    "  }",
    "}",
    "",
  ].join("\n");
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
