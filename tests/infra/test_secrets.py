"""No secret in any committed deployment file: values of secret-looking keys are empty, placeholders or
${VAR} references, and no known key format appears anywhere in infra/ or the Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import INFRA, ROOT

FILES = [*sorted(p for p in INFRA.rglob("*") if p.is_file() and p.suffix != ".pyc"), ROOT / "Dockerfile"]
KEY_FORMATS = re.compile(
    r"sk-[A-Za-z0-9_-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{20,}\."
)
ASSIGNMENT = re.compile(
    r"(?i)(?<![{\w])[\w.-]*(password|secret|api_key|apikey|token)[\w.-]*[ \t]*[:=][ \t]*[\"']?([^\s\"'#]+)"
)
ALLOWED = re.compile(r"^(\$\{.*|REPLACE\w*|.*REPLACE_ME.*|\.\.\.|voicebot-secrets|true|false|\|)$")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_secret_in_a_committed_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not KEY_FORMATS.search(text)
    for match in ASSIGNMENT.finditer(text):
        value = match.group(2)
        assert ALLOWED.match(value) or value.startswith("${"), f"{path.name}: {match.group(0)!r}"


def test_the_scan_catches_a_real_looking_secret() -> None:
    assert ASSIGNMENT.search("LIVEKIT_API_SECRET=q2Vh3x9Lw0pZ")
    assert not ALLOWED.match("q2Vh3x9Lw0pZ")
    assert KEY_FORMATS.search("OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz")
