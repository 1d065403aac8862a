"""The independent verifier of Open Badges 3.0 credentials (tests/verifier/verify.mjs: the Digital
Credentials Consortium's libraries, run with Node; `make test` installs them from
tests/verifier/package-lock.json). One run of Node checks every credential given: Node is slow
to start, so a test gives all its credentials at once.

The verifier resolves the issuer's did:web from the app at `base_url`, fetches status lists from
it, serves the JSON-LD contexts from the libraries' own copies, and refuses everything else;
`documents` adds URL -> document for a test's fixtures (a specification's example and its key).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "verifier"
SCRIPT = FOLDER / "verify.mjs"
EXAMPLES = FOLDER / "sign_examples.mjs"
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Verdict:
    """What the verifier says of one credential: `verified` (its proof, and its status list's
    proof, hold), `revoked` (its revocation bit is set), and why not, in its words."""

    verified: bool
    revoked: bool
    errors: list[str]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: make system-packages installs npm (and Node.js with it)")
    if not (FOLDER / "node_modules/@digitalcredentials/vc").is_dir():
        pytest.fail(f"{FOLDER}/node_modules is missing: make test installs it (npm ci)")
    return node


def verify(
    credentials: list[Any], base_url: str, documents: dict[str, Any] | None = None
) -> list[Verdict]:
    """The verifier's verdict on each credential, in order, from one run."""
    node = _node()
    with tempfile.TemporaryDirectory() as scratch:
        extra = Path(scratch) / "documents.json"
        extra.write_text(json.dumps(documents or {}))
        done = subprocess.run(  # noqa: S603 (our own arguments)
            [node, str(SCRIPT), "--base-url", base_url, "--documents", str(extra), "-"],
            input=json.dumps(credentials),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode not in (0, 1):
        pytest.fail(f"the verifier failed ({done.returncode}):\n{done.stderr}")
    verdicts = [Verdict(**result) for result in json.loads(done.stdout)]
    assert len(verdicts) == len(credentials), done.stdout
    # Its exit status and its verdicts agree: 0 when every one is verified and none revoked.
    all_good = all(v.verified and not v.revoked for v in verdicts)
    assert (done.returncode == 0) == all_good, (done.returncode, verdicts, done.stderr)
    return verdicts


def signed_examples(base_url: str) -> dict[str, Any]:
    """An issuer of the tests' own at `base_url` (tests/verifier/sign_examples.mjs): its DID
    document ("didDocument"), its signed status list ("statusList", for /ob/status/1.json), and
    two signed credentials, "current" and "revoked" (its bit set in the list)."""
    done = subprocess.run(  # noqa: S603 (our own arguments)
        [_node(), str(EXAMPLES), base_url],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    return json.loads(done.stdout)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        document = self.server.documents.get(self.path)  # type: ignore[attr-defined]
        body = json.dumps(document).encode()
        self.send_response(404 if document is None else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    """A tiny server on a free local port, for a test that plays the app: (its base URL, the
    path -> JSON document it serves, which the test fills and may change)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.documents = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.documents  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
