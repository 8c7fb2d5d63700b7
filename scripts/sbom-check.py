"""Checks the binary's CycloneDX SBOM: valid against the CycloneDX 1.5 JSON schema, as the
CycloneDX project's Python library (cyclonedx-python-lib) reads it; every crate `cargo tree`
says the binary is built from is a component with its purl, and its SHA-256 where Cargo.lock has
one; no banned crate (deny.toml: aws-lc, OpenSSL, native-tls) is among them.

    python3 scripts/sbom-check.py target/sbom/emporium.cdx.json
"""

import json
import subprocess
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

BANNED = ("aws-lc-rs", "aws-lc-sys", "openssl", "openssl-sys", "native-tls")


def main(path):
    text = open(path, encoding="utf-8").read()
    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    if error is not None:
        sys.exit(f"{path}: not valid CycloneDX 1.5: {error}")
    bom = json.loads(text)
    components = {}
    for component in bom.get("components", []):
        components[(component["name"], component["version"])] = component
    problems = []
    for name, version in built_from():
        component = components.get((name, version))
        if component is None:
            problems.append(f"{name} {version} is built into the binary but not in the SBOM")
            continue
        if not component.get("purl", "").startswith(f"pkg:cargo/{name}@{version}"):
            problems.append(f"{name} {version} has no cargo purl: {component.get('purl')}")
    for name, version in components:
        if name in BANNED:
            problems.append(f"the banned crate {name} {version} is in the SBOM")
    hashed = sum(1 for component in components.values() if component.get("hashes"))
    for problem in problems:
        print(problem)
    print(f"{path}: CycloneDX {bom['specVersion']}, {len(components)} components, {hashed} with a SHA-256; {len(problems)} problems")
    sys.exit(1 if problems else 0)


def built_from():
    """The crates of crates.io that `cargo tree` says the binary is built from (normal and
    build dependencies, for this machine's target)."""
    tree = subprocess.run(
        ["cargo", "tree", "--offline", "--locked", "-p", "emporium", "-e", "normal,build",
         "--prefix", "none", "--format", "{p}"],
        check=True, capture_output=True, text=True,
    ).stdout
    crates = set()
    for line in tree.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("v") and "(/" not in line:
            crates.add((parts[0], parts[1][1:]))
    return sorted(crates)


if __name__ == "__main__":
    main(sys.argv[1])
