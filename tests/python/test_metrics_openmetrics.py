"""`/metrics` read by prometheus_client's OpenMetrics parser, which someone else wrote and which
refuses text that breaks the format: when asked for OpenMetrics the shop answers it, and a latency
bucket names the trace of a request that fell in it (an exemplar), as Prometheus would store it."""

import secrets

import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"


def scrape(shop):
    answer = requests.get(f"{shop.base_url}/metrics", headers={"Accept": OPENMETRICS}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def exemplars_of(family, trace_id):
    return [
        sample
        for sample in family.samples
        if sample.name.endswith("_bucket") and sample.exemplar and sample.exemplar.labels["trace_id"] == trace_id
    ]


def test_a_read_leaves_exemplars_with_its_trace_on_the_http_and_grpc_histograms(shop):
    # A product no other test reads, so that the edge cache has not kept it and the read calls
    # the catalog over gRPC.
    listing = requests.get(f"{shop.base_url}/api/v1/products?page_size=100", timeout=10).json()
    sku = secrets.choice(listing["products"][50:])["sku"]
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    read = requests.get(f"{shop.base_url}/api/v1/products/{sku}", headers={"traceparent": traceparent}, timeout=10)
    assert read.status_code == 200, read.text

    families = scrape(shop)

    http = exemplars_of(families["http_request_duration_seconds"], trace_id)
    assert [s.labels["route"] for s in http] == ["/api/v1/products/{sku}"], http
    bucket = http[0]
    bounds = sorted(
        float(s.labels["le"])
        for s in families["http_request_duration_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["route"] == "/api/v1/products/{sku}"
    )
    below = max([b for b in bounds if b < float(bucket.labels["le"])], default=0.0)
    assert below < bucket.exemplar.value <= float(bucket.labels["le"]), bucket
    assert bucket.exemplar.timestamp is not None

    grpc = exemplars_of(families["grpc_server_handling_seconds"], trace_id)
    assert grpc and all(s.labels["grpc_service"].startswith("emporium.") for s in grpc), grpc


def test_counters_are_families_without_total_and_the_plain_format_stays_the_default(shop):
    families = scrape(shop)
    requests_family = families["http_requests"]
    assert requests_family.type == "counter"
    assert all(sample.name in ("http_requests_total", "http_requests_created") for sample in requests_family.samples)

    plain = requests.get(f"{shop.base_url}/metrics", timeout=10)
    assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# EOF" not in plain.text and " # {trace_id=" not in plain.text
