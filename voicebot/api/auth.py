"""Bearer authentication by the company's API key.

The key is looked up by its sha256 (the only form stored) and compared in constant time
(:meth:`voicebot.storage.Companies.authenticate`). Missing, malformed, unknown and inactive keys all
get the same 401, so a response never tells which.

The lookup runs in the system scope (the company is not known yet); a valid key then sets the
request's company, and from there on every statement of the request runs under row-level security
for that company (voicebot.storage.tenancy, sql/0015).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from voicebot.api.services import ApiServices
from voicebot.storage.repositories.companies import Company
from voicebot.storage.tenancy import set_company, system_scope

__all__ = ["CurrentCompany", "bearer", "current_company", "services_of"]

bearer = HTTPBearer(auto_error=False, description="The company's API key (`vbk_...`).")

_MAX_KEY_CHARS = 200


def services_of(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


Services = Annotated[ApiServices, Depends(services_of)]


async def current_company(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Company:
    key = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else ""
    company = None
    if 0 < len(key) <= _MAX_KEY_CHARS and key.isascii():
        with system_scope():
            company = await services.companies.authenticate(key)
    if company is None:
        raise HTTPException(
            status_code=401,
            detail="missing or invalid API key (send Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    set_company(company.id)
    return company


CurrentCompany = Annotated[Company, Depends(current_company)]
