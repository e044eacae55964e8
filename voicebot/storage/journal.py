"""The recorder's local journal: records that could not (yet) be written to Postgres.

Layout under ``root`` (``<data_dir>/journal``)::

    <owner-id>/lock                 flock-ed by the owning process for its whole life
    <owner-id>/000000000001.jsonl   one segment per spill, JSON lines, oldest first
    rejected/<owner-id>.jsonl       records Postgres refused (bad data), kept for an operator

Durability: a segment is written to a hidden temporary file, fsync-ed, renamed into place and the
directory fsync-ed, so a segment either exists whole or not at all. A segment is deleted only after its
rows are committed; a crash between commit and delete replays it, and the writes are idempotent.

Several processes (LiveKit runs one per call) share ``root``: each owns a directory. A directory whose
lock can be taken belongs to a dead process; :meth:`Journal.open` adopts its segments, ahead of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import structlog

from voicebot.storage.records import Record, from_json, to_json

__all__ = ["Journal"]

log = structlog.get_logger("voicebot.storage.journal")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Append-only segments owned by one process. Thread-safe; segment numbers follow call order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir: Path | None = None
        self._lock_fh: IO[str] | None = None
        self._next = 1
        self._mutex = threading.Lock()

    def open(self) -> int:
        """Create this process's directory and adopt dead processes' segments; return how many adopted."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        owner = uuid.uuid4().hex
        staging = self.root / f".new-{owner}"
        staging.mkdir(mode=0o700)
        fh = (staging / "lock").open("w")
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        final = self.root / owner
        staging.rename(final)  # visible to others only once locked
        self.dir, self._lock_fh = final, fh
        return self.adopt()

    def adopt(self) -> int:
        """Adopt the segments of processes that died (or exited) since: how many. :meth:`open` does it
        once; a long-running process (``voicebot webhooks run``) calls it periodically, so records
        journaled by call processes during an outage reach Postgres even if no new call starts."""
        final = self.dir
        if final is None:
            raise ValueError("the journal is not open")
        adopted = 0
        for other in sorted(self.root.iterdir()):
            if other == final or other.name == "rejected" or not other.is_dir():
                continue
            if other.name.startswith(".") and time.time() - other.stat().st_mtime < 60:
                continue  # another process is creating it right now
            adopted += self._adopt(other)
        if adopted:
            _fsync_dir(final)
            log.info("journal_adopted", segments=adopted, dir=str(final))
        return adopted

    def _adopt(self, other: Path) -> int:
        try:
            fh = (other / "lock").open("a")
        except OSError:
            return 0
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 0  # its owner is alive
            assert self.dir is not None
            moved = 0
            for seg in sorted(other.glob("[0-9]*.jsonl")):
                with self._mutex:
                    target = self.dir / f"{self._next:012d}.jsonl"
                    self._next += 1
                os.rename(seg, target)
                moved += 1
            for leftover in other.iterdir():
                leftover.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                other.rmdir()
            return moved

    def write(self, records: Iterable[Record]) -> Path | None:
        """Write one durable segment; None if there was nothing to write."""
        lines = [to_json(r) for r in records]
        if not lines:
            return None
        assert self.dir is not None, "Journal.open() first"
        with self._mutex:
            name = f"{self._next:012d}.jsonl"
            self._next += 1
            tmp = self.dir / f".{name}.tmp"
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            target = self.dir / name
            os.rename(tmp, target)
            _fsync_dir(self.dir)
        return target

    def segments(self) -> list[Path]:
        """This process's complete segments, oldest first."""
        if self.dir is None:
            return []
        return sorted(self.dir.glob("[0-9]*.jsonl"))

    def read(self, segment: Path) -> list[Record]:
        """The records of a segment; an unreadable line is logged and kept in the rejected file."""
        records: list[Record] = []
        bad: list[str] = []
        for line in segment.read_text(encoding="utf-8").splitlines():
            if not line:
                continue
            try:
                records.append(from_json(line))
            except ValueError:
                bad.append(line)
        if bad:
            log.error("journal_bad_lines", segment=str(segment), lines=len(bad))
            self._append_rejected(bad)
        return records

    def remove(self, segment: Path) -> None:
        segment.unlink(missing_ok=True)

    def reject(self, records: Iterable[Record]) -> None:
        """Keep records Postgres refused, for an operator to inspect."""
        self._append_rejected(to_json(r) for r in records)

    def _append_rejected(self, lines: Iterable[str]) -> None:
        directory = self.root / "rejected"
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        owner = self.dir.name if self.dir else "unknown"
        with self._mutex, (directory / f"{owner}.jsonl").open("a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in lines)
            fh.flush()
            os.fsync(fh.fileno())

    def close(self) -> None:
        """Release the directory: removed if empty, otherwise left for the next process to adopt."""
        if self.dir is None or self._lock_fh is None:
            return
        if not self.segments():
            for leftover in self.dir.iterdir():
                leftover.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.dir.rmdir()
        fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
        self._lock_fh.close()
        self.dir, self._lock_fh = None, None
