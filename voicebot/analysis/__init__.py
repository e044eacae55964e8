"""The post-call pipeline: cleaned and redacted transcripts, analysis, cost, retention.

Nothing here runs on the caller's path. Call finalize enqueues a ``post_call`` job (storage's durable
queue) in the outcome's transaction; ``voicebot pipeline run`` drains it (:class:`PostCallPipeline`);
``voicebot retention run`` deletes what the companies' retention says (:mod:`voicebot.analysis.retention`).

* :mod:`~voicebot.analysis.recognizers` - PII recognizers (cards, IBANs, e-mails, phones, addresses,
  names; EN and RU); :mod:`~voicebot.analysis.redaction` - the privacy policy and redaction;
* :mod:`~voicebot.analysis.cleaning` - cleaned caller text and its corrections;
* :mod:`~voicebot.analysis.rules` / :mod:`~voicebot.analysis.llm` - the analysis, offline or by LLM;
* :mod:`~voicebot.analysis.process` - one call, end to end (pure but the LLM);
* :mod:`~voicebot.analysis.pipeline` - the queue handler; :mod:`~voicebot.analysis.config` - settings.
"""

from voicebot.analysis.config import AnalysisConfig, PipelineSettings, PriceTable, resolve_config
from voicebot.analysis.recognizers import RECOGNIZERS, Span, find_pii
from voicebot.analysis.redaction import MODES, PrivacyPolicy, redact_text

__all__ = [
    "MODES",
    "RECOGNIZERS",
    "AnalysisConfig",
    "PipelineSettings",
    "PriceTable",
    "PrivacyPolicy",
    "Span",
    "find_pii",
    "redact_text",
    "resolve_config",
]
