"""Scenario tests: YAML files that script a caller and assert what the bot does (``voicebot test``)."""

from voicebot.testkit.runner import CaseResult, FileResult, run_test_file
from voicebot.testkit.spec import TestFile, load_test_file

__all__ = ["CaseResult", "FileResult", "TestFile", "load_test_file", "run_test_file"]
