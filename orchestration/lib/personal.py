"""Keyed hashes of personal data (footer names and telephone numbers).

The warehouse keeps only HMAC-SHA256 digests, so an auditor can ask "did the same person
sign both files" without the warehouse holding anyone's name. The key lives outside the
warehouse: in the file named by DUKAN_PII_KEY_FILE (default `.secrets/pii.key` in the
project, created with mode 600 on first use and never committed). Losing the key only means
new digests stop matching old ones; the clear text stays in the archived files.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import partial
from pathlib import Path

from orchestration.lib.paths import PROJECT_ROOT


def key_path() -> Path:
    return Path(os.environ.get("DUKAN_PII_KEY_FILE", PROJECT_ROOT / ".secrets" / "pii.key"))


def load_key() -> bytes:
    """The HMAC key, created on first use."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def key_fingerprint(key: bytes) -> str:
    """A short public name for the key, so caches made with another key are not reused."""
    return hashlib.sha256(b"dukan-pii-key:" + key).hexdigest()[:12]


def hash_personal(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hasher(key: bytes):
    """`hash_personal` bound to a key; picklable, so worker processes can use it."""
    return partial(hash_personal, key)
