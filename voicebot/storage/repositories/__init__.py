"""Repositories: one class per aggregate, each over an asyncpg pool, returning frozen dataclasses."""

from voicebot.storage.repositories.bots import BotForCall, BotInfo, Bots, DeployResult, normalize_phone
from voicebot.storage.repositories.calls import Calls, CallSummary
from voicebot.storage.repositories.companies import Companies, Company, NewCompany
from voicebot.storage.repositories.company_secrets import CompanySecrets, SecretInfo
from voicebot.storage.repositories.knowledge_docs import KnowledgeDoc, KnowledgeDocs

__all__ = [
    "BotForCall",
    "BotInfo",
    "Bots",
    "CallSummary",
    "Calls",
    "Companies",
    "Company",
    "CompanySecrets",
    "DeployResult",
    "KnowledgeDoc",
    "KnowledgeDocs",
    "NewCompany",
    "SecretInfo",
    "normalize_phone",
]
