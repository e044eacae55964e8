"""Print the corpus figures for docs/performance.md: ``PYTHONPATH=$PWD python3 -m tests.dialogue.corpus``."""

from __future__ import annotations

import asyncio

from . import CORPUS
from .measure import report, run


async def _main() -> None:
    print(report([await run(convo) for convo in CORPUS]))


asyncio.run(_main())
