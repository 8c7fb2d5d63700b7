"""The checks of deploy/check that need a program rather than a tool.

deploy/check runs it with PyYAML and jsonschema on PYTHONPATH. Each subcommand prints one line
per problem and exits 1 when there is any:

  chart FILE                         policies of a rendered chart (security, probes, wiring)
  settings BINARY COMPOSE CHART...   every EMPORIUM_ variable compose and the chart set is a setting
  compose FILE SCHEMA                the compose file against the compose-spec schema, and its wiring
  dashboards DIR COMPOSE             Grafana dashboards and provisioning
  metrics FILE...                    alert rules: only the binary's metrics; for, severity, annotations
  collector FILE                     the OpenTelemetry collector's pipelines use defined components
"""

import json
import os
import re
import subprocess
import sys
from collections import defaultdict

import yaml

SERVICES = ["identity", "catalog", "cart", "inventory", "payments", "shipping", "orders", "notifications", "gateway"]
# What the binary serves on /metrics (platform::telemetry), and Prometheus' own `up`.
METRICS = {
    "http_requests_total",
    "http_request_duration_seconds",
    "grpc_server_handled_total",
    "grpc_server_handling_seconds",
    "bus_published_total",
    "bus_redelivered_total",
    "bus_dead_lettered_total",
    "up",
}
DATA_DIR = "/var/lib/emporium"

problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


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
        for probe, path in (("startupProbe", "/livez"), ("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != path or get.get("port") != "http":
                problem(where, f"{probe} must GET {path} on the http port")
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
            if reference and reference["name"] in secrets and reference["key"] not in secrets[reference["name"]]:
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
    finish()


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


def check_settings(binary, compose_path, *chart_paths):
    for chart_path in chart_paths:
        docs = load_all(chart_path)
        config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in docs if doc["kind"] == "ConfigMap"}
        for doc in docs:
            if doc["kind"] != "Deployment":
                continue
            container = doc["spec"]["template"]["spec"]["containers"][0]
            env = {}
            for source in container.get("envFrom", []):
                env.update(config_maps.get(source.get("configMapRef", {}).get("name"), {}))
            for variable in container.get("env", []):
                if "value" in variable:
                    env[variable["name"]] = variable["value"]
                elif "secretKeyRef" in variable.get("valueFrom", {}):
                    key = variable["valueFrom"]["secretKeyRef"]["key"]
                    env[variable["name"]] = (
                        "postgres://user:password@postgres:5432/db" if key.endswith("database-url") else "secret"
                    )
                else:
                    env[variable["name"]] = "value"
            where = f"{os.path.basename(chart_path)}: Deployment {doc['metadata']['name']}"
            run_binary(binary, where, container["args"], env)
    compose = interpolate(load_all(compose_path)[0])
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if command[:1] == ["serve"]:
            run_binary(binary, f"compose service {name}", command, service.get("environment", {}))
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


def check_compose(path, schema_path):
    import jsonschema

    folder = os.path.dirname(os.path.abspath(path))
    with open(path) as file:
        raw = yaml.safe_load(file)
    compose = interpolate(raw)
    with open(schema_path) as file:
        schema = json.load(file)
    # The schema names draft 2019-09 but is written in draft 7, which is what compose used.
    validator = jsonschema.Draft7Validator(schema)
    for error in sorted(validator.iter_errors(compose), key=lambda error: list(error.absolute_path)):
        problem("compose " + "/".join(map(str, error.absolute_path)), error.message)

    services = compose.get("services", {})
    volumes = set(compose.get("volumes") or {})
    for name, service in services.items():
        where = f"compose service {name}"
        depends = service.get("depends_on", [])
        for other in depends if isinstance(depends, list) else depends.keys():
            if other not in services:
                problem(where, f"depends on {other}, which is not a service")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith("."):
                if not os.path.exists(os.path.join(folder, source)):
                    problem(where, f"mounts {source}, which does not exist")
            elif source and source not in volumes:
                problem(where, f"uses volume {source}, which is not declared")
        command = service.get("command") or []
        if command[:1] == ["serve"]:
            if command[1:] != [name]:
                problem(where, f"runs {command}; expected serve {name}")
            environment = service.get("environment", {})
            issuer = environment.get("EMPORIUM_IDENTITY__ISSUER")
            if not issuer:
                problem(where, "needs EMPORIUM_IDENTITY__ISSUER: tokens are checked against it")
            if name == "identity" and environment.get("EMPORIUM_PUBLIC_URL") != issuer:
                problem(where, "identity's public_url must be the issuer")

    # Every database URL names a role, its password and its database as init.sql makes them.
    with open(os.path.join(folder, "postgres", "init.sql")) as file:
        init = file.read()
    passwords = dict(re.findall(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)'", init))
    owners = dict(re.findall(r"CREATE DATABASE (\w+) OWNER (\w+)", init))
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if not key.endswith("__DATABASE_URL"):
                continue
            match = re.fullmatch(r"postgres://(\w+):([^@]*)@postgres:5432/(\w+)", str(value))
            if not match:
                problem(f"compose service {name}", f"{key} is not postgres://ROLE:PASSWORD@postgres:5432/DATABASE")
                continue
            role, password, database = match.groups()
            if passwords.get(role) != password or owners.get(database) != role:
                problem(f"compose service {name}", f"{key} does not match a role and database of postgres/init.sql")

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
        problem("prometheus.yml", f"scrapes {sorted(targets)}, not the Emporium services {sorted(served)}")
    finish()


# ---- dashboards and rules ---------------------------------------------------------------------

METRIC_USE = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[)")


def metric_names(expression):
    """Names before a selector or a range, and any other name like Emporium's own once label
    lists and matchers are taken out."""
    names = set(METRIC_USE.findall(expression))
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)|\{[^}]*\}", " ", expression)
    names |= set(re.findall(r"\b((?:http|grpc|bus)_[a-z_]+|up)\b", bare))
    return {re.sub(r"_(bucket|count|sum)$", "", name) for name in names}


def check_expression(where, expression):
    for name in sorted(metric_names(expression) - METRICS):
        problem(where, f"uses {name}, which Emporium does not serve")


def check_metrics(paths):
    for path in paths:
        with open(path) as file:
            rules = yaml.safe_load(file)
        for group in rules["groups"]:
            for rule in group["rules"]:
                name = rule.get("alert") or rule.get("record")
                check_expression(f"{path} {name}", rule["expr"])
                if "alert" in rule:
                    if "for" not in rule or "severity" not in rule.get("labels", {}):
                        problem(f"{path} {name}", "needs for: and a severity label")
                    if not {"summary", "description"} <= set(rule.get("annotations", {})):
                        problem(f"{path} {name}", "needs summary and description annotations")
    finish()


def check_dashboards(folder, compose_path):
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
                check_expression(title, target.get("expr", ""))
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
