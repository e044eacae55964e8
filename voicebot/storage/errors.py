"""asyncpg's exceptions translated, once, into voicebot's tree.

Connection problems (refused, reset, timed out, server shutting down) become a *retryable*
:class:`StorageError`; unique violations become :class:`ConflictError`; every other database error is a
non-retryable :class:`StorageError`. The cause is kept as ``__cause__``, never stringified into a new type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from voicebot.errors import ConflictError, NotFoundError, StorageError, VoicebotError

__all__ = ["is_connection_error", "translate", "translated"]

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # e.g. "cannot switch to state 15" after a server restart
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def is_connection_error(exc: BaseException) -> bool:
    """True when trying again later, on a new connection, may succeed."""
    if isinstance(exc, asyncpg.exceptions.DataError | TypeError | ValueError):
        return False  # a value that cannot be encoded (DataError is an InterfaceError, but not a lost link)
    return isinstance(exc, _CONNECTION_ERRORS)


def translate(exc: BaseException) -> VoicebotError:
    """Our error for an asyncpg / socket exception (the caller raises it ``from exc``)."""
    if isinstance(exc, VoicebotError):
        return exc
    if isinstance(exc, asyncpg.exceptions.UniqueViolationError):
        detail = getattr(exc, "detail", None) or str(exc)
        return ConflictError(f"already exists: {detail}")
    if isinstance(exc, asyncpg.exceptions.ForeignKeyViolationError):
        detail = getattr(exc, "detail", None) or str(exc)
        return NotFoundError(f"refers to something that does not exist: {detail}")
    if is_connection_error(exc):
        return StorageError(f"database unavailable: {type(exc).__name__}: {exc}", retryable=True)
    return StorageError(f"database error: {type(exc).__name__}: {exc}", retryable=False)


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise database exceptions raised inside the block as voicebot errors."""
    try:
        yield
    except VoicebotError:
        raise
    except (asyncpg.exceptions.PostgresError, *_CONNECTION_ERRORS) as exc:
        raise translate(exc) from exc
