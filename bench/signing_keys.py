"""Keys of a benchmark's own for the servers it starts with production settings, which refuse
to start without a certificate signing key and a credential signing key: made in a temporary
folder, removed at exit; none where the environment names them already (a test's)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from marks.awarding import did, signing
from marks.config import CERTIFICATE_SIGNING


def settings() -> dict[str, str]:
    folder = Path(tempfile.mkdtemp(prefix="marks-bench-keys-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    made: dict[str, str] = {}
    if not any(os.environ.get(name) for name in CERTIFICATE_SIGNING):
        made.update(signing.make_authority(folder / "authority", "Benchmark").settings())
    if not os.environ.get("CREDENTIAL_SIGNING_KEY"):
        did.make_key(folder / "credential-signing-key.pem")
        made["CREDENTIAL_SIGNING_KEY"] = str(folder / "credential-signing-key.pem")
    return made
