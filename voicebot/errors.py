"""One exception tree for the whole project.

::

    VoicebotError                    root; .retryable says whether trying again may help
    ├── ScenarioError                a scenario file is invalid; .problems lists every
    │                                Problem(path, line, col, message)
    ├── ConfigError                  a setting or command-line value is wrong; the message names the fix
    ├── NotFoundError                a company, bot, call or document does not exist (or is not yours)
    ├── ConflictError                a unique value is taken (a phone number, a name)
    ├── StorageError                 the database failed; retryable when it is a connection problem
    │   └── EmbeddedPostgresError    the private cluster could not be created or started
    ├── KnowledgeError               a document could not be ingested or the knowledge base queried
    │   └── EmbedderMismatchError    a collection was built with another embedder or dimension
    ├── ProviderError                STT / TTS / LLM failed or timed out (.provider, .retryable)
    └── DeliveryError                a webhook attempt failed (.status_code, .retryable)

Third-party exceptions are translated into these once, inside the package that owns the client.
Command-line front ends print ``str(error)`` for any VoicebotError and exit 1: a user mistake never
shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "ConflictError",
    "DeliveryError",
    "EmbeddedPostgresError",
    "EmbedderMismatchError",
    "KnowledgeError",
    "NotFoundError",
    "Problem",
    "ProviderError",
    "ScenarioError",
    "StorageError",
    "VoicebotError",
]


class VoicebotError(Exception):
    """Root of every error voicebot raises on purpose."""

    retryable: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the scenario checker, printed as ``file:line:col: message``.

    A ``warning`` (printed ``file:line:col: warning: message``) does not make a scenario invalid.
    """

    path: str
    line: int
    col: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


class ScenarioError(VoicebotError):
    """A scenario is invalid; nothing of it was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(VoicebotError):
    """A setting, environment variable or command-line value is wrong."""


class NotFoundError(VoicebotError):
    """The thing asked for does not exist (or belongs to another company)."""


class ConflictError(VoicebotError):
    """A value that must be unique is already taken."""


class StorageError(VoicebotError):
    """The database failed."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class EmbeddedPostgresError(StorageError):
    """The embedded PostgreSQL cluster could not be set up or started."""


class KnowledgeError(VoicebotError):
    """A document could not be ingested, or the knowledge base could not be queried."""


class EmbedderMismatchError(KnowledgeError):
    """A collection was built with a different embedder or vector dimension than the one querying it."""


class ProviderError(VoicebotError):
    """A speech or language provider failed or timed out."""

    def __init__(self, message: str, *, provider: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable


class DeliveryError(VoicebotError):
    """A webhook delivery attempt failed."""

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retryable = retryable
