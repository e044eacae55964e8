"""Opening a local Qdrant directory (waiting for another process's lock) and Qdrant's exceptions
turned, once, into :class:`~voicebot.errors.KnowledgeError`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from voicebot.errors import KnowledgeError

__all__ = ["translated_errors"]


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    """Qdrant's exceptions become KnowledgeError, once, here."""
    try:
        yield
    except (UnexpectedResponse, ResponseHandlingException) as exc:
        error = KnowledgeError(f"Qdrant failed to {what}: {exc}")
        status = getattr(exc, "status_code", None)
        error.retryable = status is None or status >= 500 or status == 429
        raise error from exc
    except (ValueError, RuntimeError) as exc:  # local mode raises these for bad requests
        raise KnowledgeError(f"Qdrant failed to {what}: {exc}") from exc


translated_errors = _translated  # the public name (knowledge/reindex.py, server_hybrid.py)


def _open_local(path: Path, wait: float) -> QdrantClient:
    path.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        try:
            return QdrantClient(path=str(path))
        except RuntimeError as exc:
            if "already accessed" not in str(exc):
                raise KnowledgeError(f"could not open the Qdrant directory {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                error = KnowledgeError(
                    f"the Qdrant directory {path} is in use by another process (local mode allows one); "
                    "wait for it to finish or set QDRANT_URL to use a Qdrant server"
                )
                error.retryable = True
                raise error from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
