"""The tests' own issuer keys: made once per test process in a temporary folder, never a
real one."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from marks.awarding import did


@functools.cache
def credential_signing_key() -> str:
    """The path of an Ed25519 key (PEM) for CREDENTIAL_SIGNING_KEY."""
    folder = Path(tempfile.mkdtemp(prefix="marks-test-keys-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "credential-signing-key.pem"
    did.make_key(path)
    return str(path)
