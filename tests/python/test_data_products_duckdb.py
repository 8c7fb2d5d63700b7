"""The data products read by a tool no one here wrote: DuckDB (from PyPI) reads the Parquet
exports of three domains (orders, catalog, payments) and answers a question that crosses them,
revenue by category by day, which must equal what the shop's own API says of the same orders;
and the exports' freshness and row counts are on /metrics."""

import time
import uuid

import duckdb
import requests



def buy(shop, skus):
    """A confirmed order of one of each of `skus`, by a new shopper; its id."""
    token = shop.new_shopper()
    headers = {"authorization": f"Bearer {token}"}
    for sku in skus:
        added = requests.post(f"{shop.base_url}/api/v1/cart/items", json={"sku": sku, "quantity": 2}, headers=headers, timeout=10)
        assert added.ok, added.text
    body = {
        "address": {"name": "Py Thon", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"},
    }
    headers["idempotency-key"] = f"py-{uuid.uuid4().hex}"
    placed = requests.post(f"{shop.base_url}/api/v1/checkout", json=body, headers=headers, timeout=30)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["state"] == "confirmed", order
    return order


def expected(shop, orders):
    """Revenue by (day, category) of `orders`, from the shop's own API."""
    revenue = {}
    for order in orders:
        day = time.strftime("%Y-%m-%d", time.gmtime(order["created_at"]))
        for line in order["lines"]:
            product = requests.get(f"{shop.base_url}/api/v1/products/{line['sku']}", timeout=10).json()
            key = (day, product["category"])
            revenue[key] = revenue.get(key, 0) + line["quantity"] * line["unit_price"]["minor_units"]
    return revenue


def revenue_query(files, ids):
    """Revenue by day and category of the confirmed and captured orders among `ids`."""
    quoted = ", ".join(f"'{order_id}'" for order_id in ids)
    return f"""
SELECT strftime(o.created_at AT TIME ZONE 'UTC', '%Y-%m-%d') AS day, p.category,
       sum(l.quantity * l.unit_price_minor) AS revenue
FROM read_parquet('{files["orders"]}') o
JOIN read_parquet('{files["lines"]}') l USING (order_id)
JOIN read_parquet('{files["products"]}') p USING (sku)
JOIN read_parquet('{files["payments"]}') pay ON pay.order_id = o.order_id AND pay.state = 'captured'
WHERE o.state = 'confirmed' AND o.order_id IN ({quoted})
GROUP BY ALL ORDER BY ALL
"""


def test_revenue_by_category_by_day_from_three_domains_exports(shop):
    categories = requests.get(f"{shop.base_url}/api/v1/categories", timeout=10).json()
    skus = []
    for category in categories[:3]:
        listed = requests.get(f"{shop.base_url}/api/v1/products?category={category['slug']}&page_size=1", timeout=10)
        skus.append(listed.json()["products"][0]["sku"])
    assert len(skus) >= 2, "the seed catalog has several categories"
    orders = [buy(shop, skus[:2]), buy(shop, skus[1:3])]
    want = expected(shop, orders)

    exports = shop.data_dir / "exports"
    files = {
        "orders": str(exports / "orders" / "orders.parquet"),
        "lines": str(exports / "orders" / "order_lines.parquet"),
        "products": str(exports / "products" / "products.parquet"),
        "payments": str(exports / "payments" / "payments.parquet"),
    }
    ids = [order["id"] for order in orders]
    got, deadline = {}, time.time() + 30
    while time.time() < deadline:
        try:
            rows = duckdb.sql(revenue_query(files, ids)).fetchall()
            got = {(day, category): revenue for day, category, revenue in rows}
        except duckdb.IOException:
            got = {}  # an export not written yet
        if got == want:
            break
        time.sleep(0.5)
    assert got == want

    kinds = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{files['orders']}'))").fetchall())
    assert kinds["created_at"] == "TIMESTAMP WITH TIME ZONE" and kinds["total_minor"] == "BIGINT"
    stock = duckdb.sql(f"SELECT count(*) FROM read_parquet('{exports / 'stock' / 'stock.parquet'}') WHERE sku IN ({', '.join(repr(sku) for sku in skus)})").fetchall()[0][0]
    assert stock == len(skus)

    metrics = requests.get(f"{shop.base_url}/metrics", timeout=10).text
    for name in ('data_product_rows{product="orders",table="orders"}', 'data_product_freshness_seconds{product="payments",table="payments"}', 'data_product_exports_total{product="stock"}'):
        assert name in metrics, name
