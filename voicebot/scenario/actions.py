"""Declared actions: named requests a call makes to the company's own systems (or the built-in book).

A scenario declares its actions once, at the top level, and a state runs one with ``action:``::

    actions:
      lookup_account:
        method: GET
        url: "https://crm.example.com/accounts/{account_number}"
        headers: {authorization: "Bearer {secret.crm_token}"}
        secrets: [crm_token]
        timeout: 3
        result: {account_status: status, account_name: owner.name}
        filler: "One moment, I'm looking that up."

    states:
      lookup:
        action:
          run: lookup_account
          branches:
            - {when: "account_status == 'suspended'", to: suspended}
          ok: found
          error: cant_reach

Templates (``url``, ``headers``, ``body``, ``args``, ``idempotency_key``) name slots, the call facts of
:data:`ACTION_NAMES` and ``secret.<name>`` for a secret the action lists under ``secrets``. A secret's
value is stored server-side per company (``voicebot company secret set``) and substituted by the runner:
it never appears in the YAML, in the engine's actions or in the call record.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import Field, field_validator, model_validator

from voicebot.scenario.modelbase import FrozenModel, Name, Text

__all__ = [
    "ACTION_KINDS",
    "ACTION_NAMES",
    "IDEMPOTENT_METHODS",
    "ActionBranch",
    "ActionSpec",
    "ActionStep",
]

ACTION_KINDS: Final = (
    "http",
    "book.availability",
    "book.reserve",
    "book.cancel",
    "book.reschedule",
    "book.lookup",
)
"""Kinds an action may have: ``http`` (a declared request) or a built-in the runtime registers."""

ACTION_NAMES: Final = ("call_id", "caller_number", "dialed_number", "bot_id", "action", "attempt")
"""Placeholders every action template may use besides slot names and ``secret.<name>``."""

IDEMPOTENT_METHODS: Final = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
"""Methods retried without an idempotency key (RFC 9110 section 9.2.2)."""

Json = Any


class ActionSpec(FrozenModel):
    """One declared action."""

    kind: str = Field(
        default="http",
        description="'http' (a request to the company's system) or a built-in: "
        + ", ".join(ACTION_KINDS[1:]),
        examples=["http", "book.reserve"],
    )
    description: str | None = Field(
        default=None,
        max_length=500,
        description="What the action does, told to the LLM when a state offers it as a tool.",
        examples=["Look up the caller's account by its number."],
    )
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        default="POST", description="HTTP method (kind http)."
    )
    url: str | None = Field(
        default=None,
        description="URL template (kind http); placeholders are percent-encoded.",
        examples=["https://crm.example.com/accounts/{account_number}"],
    )
    headers: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")], str] = Field(
        default_factory=dict,
        description="Header templates; may use {secret.<name>} for a listed secret.",
        examples=[{"authorization": "Bearer {secret.crm_token}"}],
    )
    body: Json = Field(
        default=None,
        description=(
            "JSON body template: strings are templates; a string that is exactly one placeholder "
            "('{party_size}') becomes the slot's JSON value."
        ),
        examples=[{"account": "{account_number}", "caller": "{caller_number}"}],
    )
    args: dict[Name, Json] = Field(
        default_factory=dict,
        description="Arguments of a built-in kind, templated like body.",
        examples=[{"date": "{res_date}", "time": "{res_time}"}],
    )
    secrets: list[Name] = Field(
        default_factory=list,
        description="Company secrets this action uses (set with 'voicebot company secret set').",
        examples=[["crm_token"]],
    )
    timeout: float = Field(default=5.0, gt=0, le=30, description="Seconds per attempt before 'timeout'.")
    retries: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Extra attempts after a timeout, a connection error or a 5xx; only for GET/HEAD/PUT/"
        "DELETE/OPTIONS or with an idempotency_key.",
    )
    idempotency_key: str | None = Field(
        default=None,
        description="Template of the Idempotency-Key header (default: '{call_id}:{action}:{attempt}', "
        "the same on every retry of one run).",
    )
    result: dict[Name, Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\[\]-]+$")]] = Field(
        default_factory=dict,
        description="Response mapping: slot <- path in the JSON result ('owner.name', 'items[0].id').",
        examples=[{"account_status": "status", "account_name": "owner.name"}],
    )
    filler: Text | None = Field(
        default=None,
        description="Said if the action takes longer than filler_after_ms (no silence on the line).",
        examples=["One moment, I'm checking."],
    )
    filler_after_ms: int = Field(default=700, ge=0, le=10000, description="When the filler is said.")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in ACTION_KINDS:
            raise ValueError(f"unknown action kind {value!r} (known: {', '.join(ACTION_KINDS)})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ActionSpec:
        if self.kind == "http" and not self.url:
            raise ValueError("an http action needs 'url'")
        if self.retries and self.method not in IDEMPOTENT_METHODS and self.idempotency_key is None:
            raise ValueError(
                f"retries on a {self.method} action need an idempotency_key "
                "(a retried non-idempotent request could act twice)"
            )
        return self


class ActionBranch(FrozenModel):
    """Taken when its condition holds: after success (over slots, after the mapping) or, with
    ``on: error``, after a failure (e.g. ``http_status == 404``: the account does not exist)."""

    on: Literal["ok", "error"] = Field(default="ok", description="Which results this branch is tried on.")
    when: str = Field(description="Condition over slots (filled by the response mapping) and http_status.")
    to: Name
    say: Text | None = None


class ActionStep(FrozenModel):
    """Run a declared action on entering the state, then go on by its result."""

    run: Name = Field(description="The declared action's name.")
    ok: Name | None = Field(default=None, description="State after success (when no branch condition holds).")
    branches: list[ActionBranch] = Field(
        default_factory=list, description="Tried in order (on success, or on error with 'on: error')."
    )
    error: Name | None = Field(
        default=None, description="State after a failure (refused, 4xx/5xx, bad JSON, too big)."
    )
    timeout: Name | None = Field(default=None, description="State after a timeout (default: error).")

    def targets(self) -> list[Name]:
        found = [b.to for b in self.branches]
        found += [name for name in (self.ok, self.error, self.timeout) if name is not None]
        return found
