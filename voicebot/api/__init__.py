"""voicebot.api: the HTTP admin API for companies (FastAPI).

:func:`create_app` builds the ASGI app from an :class:`ApiServices` (made by
:func:`voicebot.runtime_api.build_api_services`); ``voicebot api`` serves it with uvicorn. Every
endpoint but ``/healthz``, ``/readyz`` and ``/metrics`` needs the company's API key, and every query is
scoped to that company. See docs/api.md.
"""

from voicebot.api.app import create_app
from voicebot.api.services import ApiLimits, ApiServices, KnowledgeAccess, KnowledgeOps

__all__ = ["ApiLimits", "ApiServices", "KnowledgeAccess", "KnowledgeOps", "create_app"]
