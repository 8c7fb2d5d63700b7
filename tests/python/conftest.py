"""Starts the real binary (`emporium up`) for the Python suite: a fresh data folder, ports
chosen by the system, and what it prints on a first start (its URL, the development user, the
admin client's secret). The binary is $EMPORIUM_TEST_BINARY, or the debug build of this checkout."""

import os
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def binary():
    if os.environ.get("EMPORIUM_TEST_BINARY"):
        return os.environ["EMPORIUM_TEST_BINARY"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "emporium")


class Shop:
    def __init__(self, base_url, printed, data_dir):
        self.base_url = base_url
        self.printed = printed
        self.data_dir = Path(data_dir)
        grpc = re.search(r"gRPC +http://([0-9.:]+)", printed)
        self.grpc_address = grpc.group(1) if grpc else None

    def new_shopper(self):
        """A new user's access token, from the REST sign-up and log-in."""
        import uuid

        import requests

        email = f"py-{uuid.uuid4().hex}@example.com"
        password = "a long enough password"
        signed_up = requests.post(
            f"{self.base_url}/api/v1/account/signup",
            json={"email": email, "password": password, "display_name": "Py Thon"},
            timeout=10,
        )
        assert signed_up.ok, signed_up.text
        login = requests.post(
            f"{self.base_url}/api/v1/account/login", json={"email": email, "password": password}, timeout=10
        )
        assert login.ok, login.text
        return login.json()["access_token"]

    def admin_token(self, scope):
        """A client-credentials token of the admin client for `scope`."""
        import requests

        client_id, secret = self.pair("Admin client")
        response = requests.post(
            f"{self.base_url}/oauth2/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials", "scope": scope},
            timeout=10,
        )
        assert response.ok, response.text
        return response.json()["access_token"]

    def pair(self, label):
        """The `label (shown once): first / second` line of the first start."""
        match = re.search(rf"^{re.escape(label)} \(shown once\): *(\S+) / (\S+)$", self.printed, re.M)
        assert match, f"no {label} in:\n{self.printed}"
        return match.group(1), match.group(2)


@pytest.fixture(scope="session")
def shop():
    data_dir = tempfile.mkdtemp(prefix="emporium-python-")
    env = dict(
        os.environ,
        EMPORIUM_DATA_DIR=data_dir,
        EMPORIUM_HTTP_ADDR="127.0.0.1:0",
        EMPORIUM_GRPC_ADDR="127.0.0.1:0",
        EMPORIUM_IDENTITY__ARGON2_MEMORY_KIB="256",
        # The data products' exports, often enough for a test to read what it just bought.
        EMPORIUM_DATA_PRODUCTS__INTERVAL_SECONDS="1",
        RUST_LOG="warn",
    )
    # The LLM providers are outside the shop: a stand-in speaks OpenAI's wire to it.
    standin = subprocess.Popen(
        [binary(), "llm-standin", "--addr", "127.0.0.1:0", "--key", "sk-python"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    standin_url = re.search(r"LLM stand-in +(http://[0-9.:]+)", standin.stdout.readline()).group(1)
    config = Path(data_dir) / "emporium.toml"
    # A local model installed on the machine must not change what a test sees.
    config.write_text(
        '[inference.llm.local]\nmodel = "off"\n\n'
        "[[inference.llm.providers]]\n"
        'name = "standin"\nkind = "openai"\n'
        f'url = "{standin_url}/v1"\nkey = "sk-python"\nmodel = "gpt-4o-mini"\n'
    )
    env["EMPORIUM_CONFIG"] = str(config)
    log = open(Path(data_dir) / "shop.log", "w+")
    process = subprocess.Popen([binary(), "up"], env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    printed = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            printed.append(line)
            if line.startswith("A token for curl"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + 120
    while not ready.is_set() and process.poll() is None and time.time() < deadline:
        ready.wait(0.2)
    text = "".join(printed)
    match = re.search(r"REST API +(http://[0-9.:]+)", text)
    if not (ready.is_set() and match):
        log.seek(0)
        raise AssertionError(f"the shop did not start:\n{text}\n{log.read()[-3000:]}")
    yield Shop(match.group(1), text, data_dir)
    process.terminate()
    process.wait(timeout=30)
    standin.terminate()
    standin.wait(timeout=30)
