"""Opaque keyset cursors: ``(timestamp, id)`` of a page's last row, base64url-encoded.

A client passes ``next_cursor`` of one page as ``cursor`` to get the next; anything else is a 422.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Generic, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel

__all__ = ["Page", "decode_cursor", "encode_cursor"]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(at: dt.datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = raw.split("|")
        parsed = dt.datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise HTTPException(
            status_code=422, detail="cursor is invalid (pass next_cursor of a previous page)"
        ) from None
