"""The checks of deploy/check that need a program rather than a tool.

deploy/check runs it with PyYAML and jsonschema on PYTHONPATH. Each subcommand prints one line
per problem and exits 1 when there is any:

  chart FILE                         policies of a rendered chart (security, probes, wiring)
  settings BINARY COMPOSE CHART...   every EMPORIUM_ variable compose and the chart set is a setting
                                     (COMPOSE: a file, or files joined by + for an override)
  boot BINARY chart FILE             starts every Deployment's process on this machine (SQLite, the
  boot BINARY compose FILE...        in-process bus, certificates from `BINARY certs`), waits until
                                     each is ready, gets a token with every client secret and reads
                                     products through the gateway
  compose SCHEMA FILE...             compose files (an override after the base) against the
                                     compose-spec schema, and their wiring
  dashboards DIR COMPOSE             Grafana dashboards (which may query what the rule files of
                                     compose's prometheus.yml record) and provisioning
  metrics FILE...                    rules: only the binary's metrics and what the files record;
                                     alerts have for, severity and annotations
  collector FILE                     the OpenTelemetry collector's pipelines use defined components
"""

import base64
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def service_crates():
    """The services the binary runs, as its build script finds them: each dependency of
    crates/emporium whose crate says `service = true` under [package.metadata.emporium]
    (`emporium new service` adds one)."""
    with open(os.path.join(ROOT, "crates/emporium/Cargo.toml")) as file:
        dependencies = file.read().split("[dependencies]", 1)[1].split("\n[", 1)[0]
    found = []
    for name in re.findall(r"^([a-z][a-z0-9_-]*)\s*[.=]", dependencies, re.MULTILINE):
        manifest = os.path.join(ROOT, "crates", name, "Cargo.toml")
        if os.path.exists(manifest):
            with open(manifest) as file:
                if re.search(r"^\[package\.metadata\.emporium\]\s*(#.*\n)*service = true", file.read(), re.MULTILINE):
                    found.append(name)
    return found


SERVICES = service_crates()
# What the binary serves on /metrics (platform::telemetry, and the business counters of orders,
# inventory and payments), and Prometheus' own `up`. Names that recording rules define are known
# too (`recorded`).
METRICS = {
    "http_requests_total",
    "http_request_duration_seconds",
    "grpc_server_handled_total",
    "grpc_server_handling_seconds",
    "bus_published_total",
    "bus_redelivered_total",
    "bus_dead_lettered_total",
    "rpc_client_calls_total",
    "rpc_client_duration_seconds",
    "circuit_breaker_open",
    "orders_placed_total",
    "orders_confirmed_total",
    "saga_step_failures_total",
    "inventory_stockouts_total",
    "payments_declined_total",
    "orders_revenue_cents_total",
    "up",
    "function_invocations_total",
    "function_duration_seconds",
    "function_billed_gigabyte_seconds",
    "function_cold_starts_total",
    "inference_requests_total",
    "inference_shadow_agreement",
    "inference_drift",
    "inference_drift_centroid_distance",
    "inference_batches_total",
    "inference_batched_texts_total",
    "llm_requests_total",
    "llm_tokens_total",
    "llm_spent_usd",
    "llm_local_tokens_total",
    "llm_local_load_seconds",
    "function_dead_letters_total",
    "function_rollbacks_total",
    "webhook_attempts_total",
    "webhook_dead_total",
}


def described_metrics():
    """Every metric the sources describe (`describe_counter!("name", ...)` and its kin), so a
    new service's own metrics are known without a list kept by hand."""
    pattern = re.compile(r'describe_(?:counter|gauge|histogram)!\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"')
    names = set()
    for folder, _, files in os.walk(os.path.join(ROOT, "crates")):
        for name in files:
            if name.endswith(".rs"):
                with open(os.path.join(folder, name), encoding="utf-8") as file:
                    names |= set(pattern.findall(file.read()))
    return names


METRICS |= described_metrics()
DATA_DIR = "/var/lib/emporium"
# The clients identity has, by the client id a service calls with (`emporium-admin` is operators').
CLIENTS = {"gateway", "orders", "notifications", "emporium-admin"}
TLS_FILES = ("EMPORIUM_TLS__CA_FILE", "EMPORIUM_TLS__CERT_FILE", "EMPORIUM_TLS__KEY_FILE")
REMOTE_URL = re.compile(r"EMPORIUM_REMOTE__(\w+)_GRPC")

problems = []


def problem(where, what):
    line = f"{where}: {what}"
    if line not in problems:
        problems.append(line)


def finish():
    for line in problems:
        print(line)
    sys.exit(1 if problems else 0)


def load_all(path):
    with open(path) as file:
        return [doc for doc in yaml.safe_load_all(file) if doc]


def selects(selector, labels):
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


# ---- chart ------------------------------------------------------------------------------------


def check_chart(path):
    docs = load_all(path)
    kinds = defaultdict(list)
    for doc in docs:
        kinds[doc["kind"]].append(doc)
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in kinds["ConfigMap"]}
    secrets = {
        doc["metadata"]["name"]: set(doc.get("stringData", {})) | set(doc.get("data", {})) for doc in kinds["Secret"]
    }
    deployments = {doc["metadata"]["name"]: doc for doc in kinds["Deployment"]}
    pod_labels = {name: doc["spec"]["template"]["metadata"]["labels"] for name, doc in deployments.items()}

    def selects_a_pod(selector):
        return any(selects(selector, labels) for labels in pod_labels.values())

    for name, deployment in deployments.items():
        where = f"Deployment {name}"
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        if not selects(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]):
            problem(where, "its selector does not match its pods")
        if pod.get("enableServiceLinks") is not False:
            problem(where, "enableServiceLinks must be false (EMPORIUM_<SERVICE>_PORT would stop the binary)")
        if pod.get("automountServiceAccountToken") is not False:
            problem(where, "automountServiceAccountToken must be false")
        security = pod.get("securityContext", {})
        if security.get("runAsNonRoot") is not True or security.get("runAsUser") != 65532:
            problem(where, "the pod must run as non-root user 65532")
        if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problem(where, "the pod needs seccompProfile RuntimeDefault")
        if len(pod["containers"]) != 1:
            problem(where, "expected one container")
            continue
        container = pod["containers"][0]
        args = container.get("args", [])
        if len(args) != 2 or args[0] != "serve" or args[1] not in SERVICES:
            problem(where, f"args {args} are not `serve <service>`")
        csc = container.get("securityContext", {})
        if csc.get("allowPrivilegeEscalation") is not False:
            problem(where, "allowPrivilegeEscalation must be false")
        if csc.get("readOnlyRootFilesystem") is not True:
            problem(where, "readOnlyRootFilesystem must be true")
        if csc.get("capabilities", {}).get("drop") != ["ALL"]:
            problem(where, "capabilities must drop ALL")
        for probe, route in (("startupProbe", "/livez"), ("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != route or get.get("port") != "http":
                problem(where, f"{probe} must GET {route} on the http port")
        resources = container.get("resources", {})
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(part, {})):
                problem(where, f"resources.{part} needs cpu and memory")
        mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        if "emptyDir" not in volumes.get(mounts.get(DATA_DIR), {}):
            problem(where, f"{DATA_DIR} must be an emptyDir")

        config = {}
        for source in container.get("envFrom", []):
            reference = source.get("configMapRef", {}).get("name")
            if reference not in config_maps:
                problem(where, f"envFrom names ConfigMap {reference}, which the chart does not make")
            else:
                config.update(config_maps[reference])
        drain = int(config.get("EMPORIUM_DRAIN_TIMEOUT_SECONDS", 5))
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if grace <= drain + pre_stop:
            problem(where, f"terminationGracePeriodSeconds {grace} must exceed preStop + drain ({pre_stop} + {drain})")
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if (
                reference
                and not reference.get("optional")
                and reference["name"] in secrets
                and reference["key"] not in secrets[reference["name"]]
            ):
                problem(
                    where, f"{variable['name']} reads key {reference['key']}, which Secret {reference['name']} lacks"
                )

    for service in kinds["Service"]:
        if not selects_a_pod(service["spec"]["selector"]):
            problem(f"Service {service['metadata']['name']}", "selects no pod of the chart")
    for hpa in kinds["HorizontalPodAutoscaler"]:
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problem(
                f"HorizontalPodAutoscaler {hpa['metadata']['name']}", f"targets {target}, which the chart does not make"
            )
        elif "replicas" in deployments[target]["spec"]:
            problem(f"Deployment {target}", "sets replicas although an autoscaler owns them")
    for pdb in kinds["PodDisruptionBudget"]:
        if not selects_a_pod(pdb["spec"]["selector"]["matchLabels"]):
            problem(f"PodDisruptionBudget {pdb['metadata']['name']}", "selects no pod of the chart")
    for policy in kinds["NetworkPolicy"]:
        where = f"NetworkPolicy {policy['metadata']['name']}"
        spec = policy["spec"]
        if not selects_a_pod(spec["podSelector"].get("matchLabels", {})):
            problem(where, "selects no pod of the chart")
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for rule in spec.get(direction) or []:
                for peer in rule.get(peers, []):
                    labels = peer.get("podSelector", {}).get("matchLabels", {})
                    # A peer of the release itself must be a pod the chart makes.
                    if (
                        "namespaceSelector" not in peer
                        and "app.kubernetes.io/instance" in labels
                        and not selects_a_pod(labels)
                    ):
                        problem(where, f"{direction} peer {labels} selects no pod of the chart")
    if kinds["NetworkPolicy"]:
        for name, labels in pod_labels.items():
            if not any(
                selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels)
                and "Egress" in policy["spec"].get("policyTypes", [])
                and any(
                    53 in [port.get("port") for port in rule.get("ports", [])]
                    for rule in policy["spec"].get("egress") or []
                )
                for policy in kinds["NetworkPolicy"]
            ):
                problem(f"Deployment {name}", "no NetworkPolicy lets it reach DNS")

    processes = chart_processes(path)
    check_client_secrets(processes)
    check_tls(processes, certificate_source=lambda source: source[0] == "secret")
    # Every URL names a Service of the chart that selects the service's pods, on its port.
    services = {service["metadata"]["name"]: service for service in kinds["Service"]}
    for process in processes:
        for key, url in remote_urls(process["env"]):
            target, port_name = remote_target(key)
            parsed = urllib.parse.urlsplit(url)
            service = services.get(parsed.hostname)
            where = f"{key}={url}"
            if service is None:
                problem(where, f"{parsed.hostname} is not a Service of the chart")
                continue
            if service["spec"]["selector"].get("app.kubernetes.io/component") != target:
                problem(where, f"Service {parsed.hostname} does not select the {target} pods")
            ports = {port["name"]: port["port"] for port in service["spec"]["ports"]}
            if parsed.port != ports.get(port_name):
                problem(where, f"port {parsed.port} is not Service {parsed.hostname}'s {port_name} port")
    # With carts in Redis: no database for the cart, and its NetworkPolicies let it reach Redis.
    for process in processes:
        redis_url = process["env"].get("EMPORIUM_CART__REDIS_URL")
        if not redis_url or process["args"][1:] != ["cart"]:
            continue
        if process["env"].get("EMPORIUM_CART__DATABASE_URL") is not None:
            problem(process["where"], "has a database URL and a Redis URL; the cart uses only Redis")
        port = urllib.parse.urlsplit(redis_url).port or 6379
        labels = pod_labels[process["name"]]
        if kinds["NetworkPolicy"] and not any(
            selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels)
            and any(
                port in [allowed.get("port") for allowed in rule.get("ports", [])]
                for rule in policy["spec"].get("egress") or []
            )
            for policy in kinds["NetworkPolicy"]
        ):
            problem(process["where"], f"no NetworkPolicy lets it reach Redis on port {port}")
    # The functions service posts webhooks to merchants outside the cluster: its egress must
    # reach addresses there (webhooks.egressTo, on webhooks.ports).
    for name, labels in pod_labels.items():
        if labels.get("app.kubernetes.io/component") != "functions" or not kinds["NetworkPolicy"]:
            continue
        if not any(
            selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels)
            and any(
                rule.get("ports") and any("ipBlock" in peer for peer in rule.get("to", []))
                for rule in policy["spec"].get("egress") or []
            )
            for policy in kinds["NetworkPolicy"]
        ):
            problem(f"Deployment {name}", "no NetworkPolicy lets it post webhooks outside the cluster")
    finish()


# ---- what every process is given, and how it fits together ------------------------------------


def secret_values(doc):
    values = dict(doc.get("stringData") or {})
    for key, value in (doc.get("data") or {}).items():
        values[key] = base64.b64decode(value).decode()
    return values


def placeholder(key):
    """A stand-in for the value of a key of a Secret the chart does not make."""
    if key.endswith("database-url"):
        return "postgres://user:password@postgres:5432/db"
    if key.endswith("redis-url"):
        return "redis://redis:6379"
    if key in ("payments-vault-key", "storefront-session-key"):
        return "0123456789abcdef" * 4
    if key == "inference-llm-providers":
        return '[{name = "openai", kind = "openai", url = "https://api.openai.com/v1", key = "sk-placeholder", model = "gpt-4o-mini"}]'
    # Client secrets need 16 characters; the same key gets the same value everywhere.
    return f"placeholder-{key}"


def chart_processes(path):
    """Each Deployment of a rendered chart as a process: its args, its environment (with the
    values of the chart's own Secret, placeholders for others') and its mounts."""
    docs = load_all(path)
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in docs if doc["kind"] == "ConfigMap"}
    secrets = {doc["metadata"]["name"]: secret_values(doc) for doc in docs if doc["kind"] == "Secret"}
    processes = []
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {}
        for source in container.get("envFrom", []):
            env.update(config_maps.get(source.get("configMapRef", {}).get("name"), {}))
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if "value" in variable:
                env[variable["name"]] = variable["value"]
            elif reference:
                values = secrets.get(reference["name"])
                if values is not None and reference["key"] in values:
                    env[variable["name"]] = values[reference["key"]]
                elif values is None or not reference.get("optional"):
                    env[variable["name"]] = placeholder(reference["key"])
            else:
                env[variable["name"]] = "value"
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        mounts = []
        for mount in container.get("volumeMounts", []):
            volume = volumes.get(mount["name"], {})
            if "secret" in volume:
                items = {item["path"]: item["key"] for item in volume["secret"].get("items", [])}
                source = ("secret", volume["secret"]["secretName"], items or None)
            else:
                source = ("volume", mount["name"])
            mounts.append({"path": mount["mountPath"], "read_only": mount.get("readOnly", False), "source": source})
        name = doc["metadata"]["name"]
        processes.append(
            {
                "name": name,
                "where": f"Deployment {name}",
                "args": container.get("args", []),
                "env": env,
                "mounts": mounts,
            }
        )
    return processes


def remote_urls(env):
    return [
        (key, value)
        for key, value in sorted(env.items())
        if value and (REMOTE_URL.fullmatch(key) or key == "EMPORIUM_REMOTE__IDENTITY_HTTP")
    ]


def remote_target(key):
    """The service a remote URL setting names, and the port it is on (grpc or http)."""
    match = REMOTE_URL.fullmatch(key)
    return (match.group(1).lower(), "grpc") if match else ("identity", "http")


def mounted_file(process, path):
    """The mount that provides `path`, and the file's name in the mount's source (None when a
    Secret volume does not project it)."""
    best = None
    for mount in process["mounts"]:
        root = mount["path"].rstrip("/") + "/"
        if path.startswith(root) and (best is None or len(root) > len(best[0])):
            best = (root, mount)
    if best is None:
        return None, None
    root, mount = best
    relative = path[len(root) :]
    source = mount["source"]
    if source[0] == "secret" and source[2] is not None:
        return mount, source[2].get(relative)
    return mount, relative


def check_client_secrets(processes):
    """Identity is given the secret every other process calls with, under its client id."""
    identities = [process for process in processes if "identity" in process["args"][1:]]
    for process in processes:
        client = process["env"].get("EMPORIUM_REMOTE__CLIENT_ID")
        if not client or "identity" in process["args"][1:]:
            continue
        if client not in CLIENTS:
            problem(process["where"], f"client id {client} is not one of identity's ({', '.join(sorted(CLIENTS))})")
        secret = process["env"].get("EMPORIUM_REMOTE__CLIENT_SECRET") or ""
        if len(secret) < 16:
            problem(process["where"], "EMPORIUM_REMOTE__CLIENT_SECRET needs 16 characters or more")
        key = f"EMPORIUM_IDENTITY__CLIENT_SECRETS__{client.upper()}"
        for identity in identities:
            given = identity["env"].get(key)
            if given is None:
                problem(process["where"], f"calls as {client}, but {identity['where']} is not given {key}")
            elif given != secret:
                problem(process["where"], f"calls as {client} with another secret than {identity['where']}'s {key}")


def check_tls(processes, certificate_source):
    """mTLS everywhere or nowhere; each process its own certificate and key and the authority's,
    from a read-only mount of the certificates (certificate_source(source) says which are);
    https:// exactly when on, to the host its certificate names."""
    on = {}
    wrong = defaultdict(list)
    for process in processes:
        service = process["args"][1] if len(process["args"]) == 2 else "?"
        given = [key for key in TLS_FILES if process["env"].get(key)]
        if given and len(given) < 3:
            problem(process["where"], f"mTLS needs all of {', '.join(TLS_FILES)}; it has only {', '.join(given)}")
        on[process["where"]] = bool(given)
        if given:
            expected = {TLS_FILES[0]: "ca.pem", TLS_FILES[1]: f"{service}.pem", TLS_FILES[2]: f"{service}.key"}
            for key in given:
                path = process["env"][key]
                mount, name = mounted_file(process, path)
                if mount is None:
                    problem(process["where"], f"{key} {path} is on no mount")
                elif not certificate_source(mount["source"]):
                    problem(process["where"], f"{key} {path} is not on a mount of the certificates")
                elif not mount["read_only"]:
                    problem(process["where"], f"mounts {mount['path']} writable; the certificates are read-only")
                elif name is None:
                    problem(process["where"], f"{key} {path}: the Secret volume does not project that file")
                elif os.path.basename(name) != expected[key]:
                    problem(process["where"], f"{key} is {name}, not {expected[key]} (its own, from `emporium certs`)")
            for mount in process["mounts"]:
                items = mount["source"][2] if mount["source"][0] == "secret" else None
                if items and "ca.key" in items.values():
                    problem(process["where"], "is given ca.key, the authority's key")
        for key, url in remote_urls(process["env"]):
            parsed = urllib.parse.urlsplit(url)
            if key == "EMPORIUM_REMOTE__IDENTITY_HTTP":
                if parsed.scheme != "http":
                    wrong[(key, url, "identity's HTTP port is plain http")].append(process["name"])
                continue
            scheme = "https" if given else "http"
            if parsed.scheme != scheme:
                wrong[(key, url, f"must be {scheme}:// with mTLS {'on' if given else 'off'}")].append(process["name"])
            target, _ = remote_target(key)
            if given and parsed.hostname != target:
                wrong[(key, url, f"with mTLS the host must be {target}, the name in its certificate")].append(
                    process["name"]
                )
    # A shared URL is reported once, with the processes it is wrong in.
    for (key, url, what), names in wrong.items():
        within = "every process" if len(names) == len(processes) else ", ".join(names)
        problem(f"{key}={url}", f"{what} (in {within})")
    if len(set(on.values())) > 1:
        with_tls = ", ".join(where for where, value in on.items() if value)
        without = ", ".join(where for where, value in on.items() if not value)
        problem("mTLS", f"on in {with_tls} but off in {without}")


# ---- settings ---------------------------------------------------------------------------------


def run_binary(binary, where, args, env):
    """Starts the binary with an address it cannot bind: it gets past its settings and stops."""
    env = {key: str(value) for key, value in env.items()}
    env.update({"PATH": "/usr/bin:/bin", "EMPORIUM_HTTP_ADDR": "256.0.0.0:1"})
    result = subprocess.run(
        [os.path.abspath(binary), *args], env=env, capture_output=True, text=True, timeout=30, cwd="/"
    )
    if result.returncode == 2 or "listen on http_addr" not in result.stderr:
        problem(where, (result.stderr.strip() or f"exit {result.returncode}").splitlines()[-1])


def check_settings(binary, compose_paths, *chart_paths):
    """compose_paths: a compose file, or files joined by "+" (the base, then overrides)."""
    for chart_path in chart_paths:
        for process in chart_processes(chart_path):
            run_binary(binary, f"{os.path.basename(chart_path)}: {process['where']}", process["args"], process["env"])
    files = compose_paths.split("+")
    for count in range(1, len(files) + 1):
        label = " + ".join(map(os.path.basename, files[:count]))
        for process in compose_processes(files[:count]):
            run_binary(binary, f"{label}: {process['where']}", process["args"], process["env"])
    finish()


# ---- boot: every process started on this machine ----------------------------------------------


HANDED_OUT = set()


def free_port():
    """A port bindable now, below the kernel's ephemeral range (32768 and up) and never handed out
    twice: a port from bind(0) is in that range, where an outgoing connection of the processes
    booted meanwhile can take it before the process it was meant for listens (CI saw it)."""
    while True:
        port = random.randrange(20_000, 32_000)
        if port in HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        HANDED_OUT.add(port)
        return port


# Straight to 127.0.0.1, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, data=None, user=None, timeout=5):
    """(status, body) of a request; status 0 when nothing answered."""
    request = urllib.request.Request(url, data=data, method=method)
    if user:
        request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with DIRECT.open(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as error:
        return 0, str(error)


def boot(binary, processes, certificate_source):
    """Starts every process with its own environment, changed only where this machine differs:
    local ports and URLs, SQLite in a temporary folder, the in-process bus, no trace export, and
    the certificate files from `binary certs` where a mount of the certificates provides them.
    Then: every process gets ready, identity issues a token to every client with the secret its
    service is given, and the gateway serves products (through catalog, over mTLS when on)."""
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="emporium-boot-")
    running = []
    try:
        certs = os.path.join(work, "certs")
        made = subprocess.run(
            [binary, "certs", "--dir", certs], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60
        )
        if made.returncode != 0:
            problem(f"{binary} certs", made.stderr.strip() or f"exit {made.returncode}")
            return
        by_service = {}
        for process in processes:
            if len(process["args"]) == 2 and process["args"][0] == "serve":
                by_service.setdefault(process["args"][1], process)
        ports = {service: {"http": free_port(), "grpc": free_port()} for service in by_service}
        for service, process in by_service.items():
            folder = os.path.join(work, service)
            os.makedirs(folder)
            env = {
                key: str(value)
                for key, value in process["env"].items()
                if not key.endswith("__DATABASE_URL")
                and key not in ("EMPORIUM_BUS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT", "EMPORIUM_CONFIG")
            }
            env.update(
                {
                    "PATH": "/usr/bin:/bin",
                    "EMPORIUM_HTTP_ADDR": f"127.0.0.1:{ports[service]['http']}",
                    "EMPORIUM_GRPC_ADDR": f"127.0.0.1:{ports[service]['grpc']}",
                    "EMPORIUM_DATA_DIR": folder,
                }
            )
            if "EMPORIUM_NOTIFICATIONS__MAILBOX_DIR" in env:
                env["EMPORIUM_NOTIFICATIONS__MAILBOX_DIR"] = os.path.join(folder, "mailbox")
            for key, url in remote_urls(env):
                target, port_name = remote_target(key)
                if target in ports:
                    parsed = urllib.parse.urlsplit(url)
                    env[key] = f"{parsed.scheme}://127.0.0.1:{ports[target][port_name]}"
            for key in TLS_FILES:
                if env.get(key):
                    mount, name = mounted_file(process, env[key])
                    if mount is not None and name is not None and certificate_source(mount["source"]):
                        env[key] = os.path.join(certs, name)
            log = open(os.path.join(work, f"{service}.log"), "w+")
            child = subprocess.Popen(
                [binary, *process["args"]], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
            )
            running.append((service, process, child, log))

        # Ready: /readyz answers 200 once a process has built its services.
        waiting = {service for service, *_ in running}
        deadline = time.monotonic() + 90
        while waiting and time.monotonic() < deadline:
            for service, process, child, log in running:
                if service not in waiting:
                    continue
                if child.poll() is not None:
                    log.seek(0)
                    lines = [line for line in log.read().splitlines() if line.strip()]
                    problem(process["where"], f"exited ({child.returncode}): {lines[-1] if lines else ''}")
                    waiting.discard(service)
                elif http("GET", f"http://127.0.0.1:{ports[service]['http']}/readyz", timeout=1)[0] == 200:
                    waiting.discard(service)
            time.sleep(0.2)
        for service in sorted(waiting):
            problem(by_service[service]["where"], "not ready after 90 s")
        if problems or "identity" not in ports:
            return

        # Every client's secret, as its service is given it, gets a token at identity.
        token_url = f"http://127.0.0.1:{ports['identity']['http']}/oauth2/token"
        identity_env = by_service["identity"]["env"]
        clients = {
            process["env"]["EMPORIUM_REMOTE__CLIENT_ID"]: (
                process["where"],
                process["env"].get("EMPORIUM_REMOTE__CLIENT_SECRET", ""),
            )
            for process in by_service.values()
            if process["env"].get("EMPORIUM_REMOTE__CLIENT_ID")
        }
        admin = identity_env.get("EMPORIUM_IDENTITY__CLIENT_SECRETS__EMPORIUM-ADMIN")
        if admin:
            clients["emporium-admin"] = (by_service["identity"]["where"], admin)
        for client, (where, secret) in sorted(clients.items()):
            status, body = http("POST", token_url, b"grant_type=client_credentials", user=f"{client}:{secret}")
            if status != 200:
                problem(where, f"client {client} gets no token with its secret ({status} {body[:200]})")
        if "gateway" in ports and "catalog" in ports:
            url = f"http://127.0.0.1:{ports['gateway']['http']}/api/v1/products?page_size=1"
            status, body = http("GET", url, timeout=10)
            if status != 200 or '"sku"' not in body:
                problem("GET /api/v1/products through the gateway", f"{status} {body[:300]}")
    finally:
        for _, _, child, _ in running:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for _, _, child, log in running:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            log.close()
        shutil.rmtree(work, ignore_errors=True)


def check_boot(binary, kind, *paths):
    if kind == "chart":
        boot(binary, chart_processes(paths[0]), lambda source: source[0] == "secret")
    else:
        volumes = certificate_volumes(paths)
        boot(binary, compose_processes(paths), lambda source: certificates(source, volumes))
    finish()


# ---- compose ----------------------------------------------------------------------------------

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value):
    """What `docker compose config` does with ${VAR:-default}, with every variable unset."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if isinstance(value, str):
        return VARIABLE.sub(lambda match: match.group(2) or "", value).replace("$$", "$")
    return value


def volume_parts(volume):
    """(source, target, read_only) of a service's volume, short or long syntax."""
    if isinstance(volume, dict):
        return volume.get("source", ""), volume.get("target", ""), bool(volume.get("read_only"))
    parts = volume.split(":")
    if len(parts) == 1:
        return "", parts[0], False
    return parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")


def depends_map(depends):
    if isinstance(depends, list):
        return {name: {"condition": "service_started"} for name in depends}
    return dict(depends or {})


def merge_service(base, override):
    """What compose does with a service of an override file: maps merge, volumes by target,
    depends_on by service, other values are replaced."""
    merged = dict(base)
    for key, value in override.items():
        if key == "volumes":
            targets = {volume_parts(volume)[1]: volume for volume in base.get("volumes", [])}
            targets.update({volume_parts(volume)[1]: volume for volume in value})
            merged[key] = list(targets.values())
        elif key == "depends_on":
            merged[key] = {**depends_map(base.get(key)), **depends_map(value)}
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def load_compose(paths):
    """The compose files merged (the base, then each override), their variables interpolated."""
    merged = {}
    for path in paths:
        with open(path) as file:
            compose = interpolate(yaml.safe_load(file))
        for key, value in compose.items():
            if key == "services":
                services = dict(merged.get("services", {}))
                for name, service in value.items():
                    services[name] = merge_service(services.get(name, {}), service or {})
                merged["services"] = services
            elif isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def compose_processes(paths):
    """Each Emporium service of the merged compose files as a process (see chart_processes)."""
    compose = load_compose(paths)
    processes = []
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if command[:1] != ["serve"]:
            continue
        mounts = []
        for volume in service.get("volumes", []):
            source, target, read_only = volume_parts(volume)
            kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            mounts.append({"path": target, "read_only": read_only, "source": (kind, source)})
        processes.append(
            {
                "name": name,
                "where": f"compose service {name}",
                "args": command,
                "env": environment(service),
                "mounts": mounts,
            }
        )
    return processes


def certificate_volumes(paths):
    """The named volumes a one-shot `emporium certs` service writes its certificates to."""
    volumes = set()
    for service in load_compose(paths)["services"].values():
        command = service.get("command") or []
        if command[:1] == ["certs"]:
            folder = command[command.index("--dir") + 1] if "--dir" in command else "certs"
            for volume in service.get("volumes", []):
                source, target, _ = volume_parts(volume)
                if target.rstrip("/") == folder.rstrip("/"):
                    volumes.add(source)
    return volumes


def certificates(source, volumes):
    """Whether a compose mount holds the certificates: a folder of the host, or a volume that an
    `emporium certs` service fills."""
    return source[0] == "bind" or source[1] in volumes


def check_compose(schema_path, *paths):
    """The base file alone, and merged with each override after it."""
    import jsonschema

    with open(schema_path) as file:
        schema = json.load(file)
    # The schema names draft 2019-09 but is written in draft 7, which is what compose used.
    validator = jsonschema.Draft7Validator(schema)
    folder = os.path.dirname(os.path.abspath(paths[0]))
    for count in range(1, len(paths) + 1):
        files = paths[:count]
        label = "compose" if count == 1 else "compose (" + " + ".join(map(os.path.basename, files)) + ")"
        # Each file on its own, as docker compose validates them before merging.
        with open(files[-1]) as file:
            alone = interpolate(yaml.safe_load(file))
        for error in sorted(validator.iter_errors(alone), key=lambda error: list(error.absolute_path)):
            problem(f"{os.path.basename(files[-1])} " + "/".join(map(str, error.absolute_path)), error.message)
        compose = load_compose(files)
        check_compose_wiring(label, folder, compose)
        processes = compose_processes(files)
        check_client_secrets(processes)
        volumes = certificate_volumes(files)
        check_tls(processes, lambda source: certificates(source, volumes))
        for process in processes:
            for key, url in remote_urls(process["env"]):
                target, _ = remote_target(key)
                host = urllib.parse.urlsplit(url).hostname
                runs = (compose["services"].get(host, {}).get("command") or [])[1:]
                if target not in runs:
                    problem(f"{label}: {key}={url}", f"{host} is not a compose service that runs {target}")
    finish()


def check_compose_wiring(label, folder, compose):
    services = compose.get("services", {})
    volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        where = f"{label} service {name}"
        depends = depends_map(service.get("depends_on"))
        for other in depends:
            if other not in services:
                problem(where, f"depends on {other}, which is not a service")
        for key, value in environment(service).items():
            # A Redis the service uses is one of the file's, and started first.
            if key.endswith("__REDIS_URL") and value:
                host = urllib.parse.urlsplit(value).hostname
                if host not in services:
                    problem(where, f"{key} names {host}, which is not a service")
                elif host not in depends:
                    problem(where, f"{key} names {host}, but it does not depend on it")
        for volume in service.get("volumes", []):
            source = volume_parts(volume)[0]
            if source.startswith("."):
                if not os.path.exists(os.path.join(folder, source)):
                    problem(where, f"mounts {source}, which does not exist")
            elif source and source not in volumes:
                problem(where, f"uses volume {source}, which is not declared")
        command = service.get("command") or []
        if command[:1] == ["serve"]:
            if command[1:] != [name]:
                problem(where, f"runs {command}; expected serve {name}")
            environment_ = environment(service)
            issuer = environment_.get("EMPORIUM_IDENTITY__ISSUER")
            if not issuer:
                problem(where, "needs EMPORIUM_IDENTITY__ISSUER: tokens are checked against it")
            if name == "identity" and environment_.get("EMPORIUM_PUBLIC_URL") != issuer:
                problem(where, "identity's public_url must be the issuer")

    # Every database URL names a role, its password and its database as init.sql makes them.
    with open(os.path.join(folder, "postgres", "init.sql")) as file:
        init = file.read()
    passwords = dict(re.findall(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)'", init))
    owners = dict(re.findall(r"CREATE DATABASE (\w+) OWNER (\w+)", init))
    for name, service in services.items():
        for key, value in environment(service).items():
            if not key.endswith("__DATABASE_URL"):
                continue
            match = re.fullmatch(r"postgres://(\w+):([^@]*)@postgres:5432/(\w+)", str(value))
            if not match:
                problem(f"{label} service {name}", f"{key} is not postgres://ROLE:PASSWORD@postgres:5432/DATABASE")
                continue
            role, password, database = match.groups()
            if passwords.get(role) != password or owners.get(database) != role:
                problem(f"{label} service {name}", f"{key} does not match a role and database of postgres/init.sql")

    # Prometheus scrapes every Emporium container, on its HTTP port.
    with open(os.path.join(folder, "prometheus", "prometheus.yml")) as file:
        prometheus = yaml.safe_load(file)
    targets = {
        target
        for job in prometheus["scrape_configs"]
        if job["job_name"].startswith("emporium")
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    served = {name for name, service in services.items() if (service.get("command") or [])[:1] == ["serve"]}
    if targets != {f"{name}:8080" for name in served}:
        problem(f"{label}: prometheus.yml", f"scrapes {sorted(targets)}, not the Emporium services {sorted(served)}")


# ---- dashboards and rules ---------------------------------------------------------------------

METRIC_USE = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[)")


def metric_names(expression):
    """Names before a selector or a range, and any other name like Emporium's own once label
    lists and matchers are taken out."""
    names = set(METRIC_USE.findall(expression))
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)|\{[^}]*\}", " ", expression)
    names |= set(re.findall(r"\b((?:http|grpc|bus)_[a-z_]+|up)\b", bare))
    return {re.sub(r"_(bucket|count|sum)$", "", name) for name in names}


def check_expression(where, expression, known=METRICS):
    for name in sorted(metric_names(expression) - known):
        problem(where, f"uses {name}, which Emporium does not serve and no rule records")


def recorded(paths):
    """The names the recording rules of these rule files define."""
    names = set()
    for path in paths:
        with open(path) as file:
            rules = yaml.safe_load(file)
        for group in rules["groups"]:
            names |= {rule["record"] for rule in group["rules"] if "record" in rule}
    return names


def check_metrics(paths):
    known = METRICS | recorded(paths)
    for path in paths:
        with open(path) as file:
            rules = yaml.safe_load(file)
        for group in rules["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert") or rule.get("record")
                check_expression(f"{path} {name}", rule["expr"], known)
                if "alert" in rule:
                    if "for" not in rule or "severity" not in rule.get("labels", {}):
                        problem(f"{path} {name}", "needs for: and a severity label")
                    if not {"summary", "description"} <= set(rule.get("annotations", {})):
                        problem(f"{path} {name}", "needs summary and description annotations")
    finish()


def check_dashboards(folder, compose_path):
    # Dashboards may query what the rule files of compose's Prometheus record.
    prometheus = os.path.join(os.path.dirname(os.path.abspath(compose_path)), "prometheus")
    with open(os.path.join(prometheus, "prometheus.yml")) as file:
        rule_files = yaml.safe_load(file).get("rule_files") or []
    known = METRICS | recorded([found for path in rule_files for found in sorted(glob.glob(os.path.join(prometheus, path)))])
    dashboards = os.path.join(folder, "dashboards")
    found = sorted(name for name in os.listdir(dashboards) if name.endswith(".json"))
    if not found:
        problem(dashboards, "no dashboard")
    for name in found:
        where = os.path.join("grafana/dashboards", name)
        with open(os.path.join(dashboards, name)) as file:
            dashboard = json.load(file)
        if (
            not isinstance(dashboard.get("schemaVersion"), int)
            or not dashboard.get("uid")
            or not dashboard.get("title")
        ):
            problem(where, "needs schemaVersion, uid and title")
        variables = {variable["name"] for variable in dashboard.get("templating", {}).get("list", [])}
        ids = set()
        for panel in dashboard.get("panels", []):
            title = f"{where} panel {panel.get('title')!r}"
            if panel.get("id") in ids:
                problem(title, f"repeats id {panel.get('id')}")
            ids.add(panel.get("id"))
            if not {"h", "w", "x", "y"} <= set(panel.get("gridPos", {})):
                problem(title, "needs a gridPos")
            if panel.get("type") == "row":
                if panel.get("repeat") and panel["repeat"] not in variables:
                    problem(title, f"repeats over ${panel['repeat']}, which is not a variable")
                continue
            if not panel.get("targets"):
                problem(title, "has no query")
            for target in panel.get("targets", []):
                check_expression(title, target.get("expr", ""), known)
                for variable in re.findall(r"\$(\w+)", target.get("expr", "")):
                    if variable not in variables and not variable.startswith("__"):
                        problem(title, f"uses ${variable}, which is not a variable")

    provisioning = os.path.join(folder, "provisioning")
    provider_paths = []
    for root, _, files in os.walk(provisioning):
        for name in files:
            with open(os.path.join(root, name)) as file:
                document = yaml.safe_load(file)
            if document.get("apiVersion") != 1:
                problem(os.path.join(root, name), "needs apiVersion: 1")
            for provider in document.get("providers", []):
                provider_paths.append(provider.get("options", {}).get("path"))
    # The provider reads the folder compose mounts the dashboards at.
    compose = interpolate(load_all(compose_path)[0])
    mounts = [
        volume.split(":")[1]
        for volume in compose["services"]["grafana"].get("volumes", [])
        if volume.startswith("./grafana/dashboards")
    ]
    if not provider_paths or any(path not in mounts for path in provider_paths):
        problem(
            "grafana provisioning",
            f"dashboard providers read {provider_paths}; compose mounts the dashboards at {mounts}",
        )
    finish()


def check_collector(path):
    with open(path) as file:
        config = yaml.safe_load(file)
    for pipeline, parts in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in parts.get(kind, []):
                if component not in (config.get(kind) or {}):
                    problem(f"{path} pipeline {pipeline}", f"uses {kind[:-1]} {component}, which is not defined")
        if not parts.get("receivers") or not parts.get("exporters"):
            problem(f"{path} pipeline {pipeline}", "needs receivers and exporters")
    finish()


def main():
    command, *args = sys.argv[1:]
    if command == "chart":
        check_chart(*args)
    elif command == "settings":
        check_settings(*args)
    elif command == "compose":
        check_compose(*args)
    elif command == "boot":
        check_boot(*args)
    elif command == "dashboards":
        check_dashboards(*args)
    elif command == "metrics":
        check_metrics(args)
    elif command == "collector":
        check_collector(*args)
    else:
        sys.exit(f"unknown check {command}")


if __name__ == "__main__":
    main()
