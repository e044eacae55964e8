"""Fixtures of the post-call pipeline tests: a company with a bot (no webhook receiver needed: the
call.analyzed row is asserted in the outbox), the outcome services and the analysis services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.outcomes.conftest import Tenant, fast_settings, make_tenant
from voicebot.analysis.config import PipelineSettings
from voicebot.runtime_analysis import AnalysisServices, build_analysis_services
from voicebot.runtime_outcomes import OutcomeServices, build_outcome_services


@pytest.fixture
async def tenant(db_pool: Any) -> Tenant:
    return await make_tenant(db_pool, "https://hooks.example.com/voicebot")


@pytest.fixture
async def services(db_pool: Any) -> AsyncIterator[OutcomeServices]:
    s = build_outcome_services(db_pool, fast_settings())
    try:
        yield s
    finally:
        await s.aclose()


@pytest.fixture
def analysis(db_pool: Any) -> AnalysisServices:
    return build_analysis_services(db_pool, PipelineSettings(poll_interval=0.02))
