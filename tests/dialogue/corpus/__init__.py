"""The awkward-caller corpus: scripted conversations and their measurement (issue 10, item 5)."""

from __future__ import annotations

from .clinic import CLINIC
from .model import Convo
from .salon import SALON
from .support import SUPPORT

CORPUS: list[Convo] = [*CLINIC, *SUPPORT, *SALON]
