"""The data products' contracts against the Open Data Contract Standard's own JSON schema, as its
maintainers publish it (the `open-data-contract-standard` package carries schema.json): every
contract of the workspace (`crates/*/contracts/*.odcs.yaml`, their published copies, and the one
`emporium new service` writes, with its placeholders filled) is a valid ODCS document, and a
document that breaks the standard is refused by the same validator."""

import json
import pathlib
from importlib import resources

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "crates/emporium/templates/service/contracts/items.odcs.yaml.tmpl"


def validator():
    schema = json.loads(resources.files("open_data_contract_standard").joinpath("schema.json").read_text())
    return jsonschema.Draft201909Validator(schema)


def contracts():
    found = sorted(ROOT.glob("crates/*/contracts/*.odcs.yaml")) + sorted(ROOT.glob("crates/*/contracts/published/*.odcs.yaml"))
    assert {path.parts[-3] for path in found if path.parent.name == "contracts"} >= {"orders", "catalog", "inventory", "payments"}
    return found


@pytest.mark.parametrize("path", contracts(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_contract_is_a_valid_odcs_document(path):
    document = yaml.safe_load(path.read_text())
    errors = [f"{list(error.path)}: {error.message}" for error in validator().iter_errors(document)]
    assert errors == []
    assert document["apiVersion"] == "v3.0.2"


def test_the_contract_a_new_service_gets_is_valid_odcs():
    text = TEMPLATE.read_text().replace("@name@", "reviews").replace("@owner@", "checkout")
    assert "@" not in text
    assert list(validator().iter_errors(yaml.safe_load(text))) == []


def test_the_validator_refuses_what_breaks_the_standard():
    document = yaml.safe_load((ROOT / "crates/orders/contracts/orders.odcs.yaml").read_text())
    broken = dict(document, apiVersion="v9.9.9")
    del broken["id"]
    messages = " ".join(error.message for error in validator().iter_errors(broken))
    assert "'id' is a required property" in messages
    assert "v9.9.9" in messages
