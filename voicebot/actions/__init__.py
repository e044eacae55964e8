"""Mid-call actions: the port (:mod:`~voicebot.actions.base`), the HTTP runner and the built-in book.

* :class:`ActionCall`, :class:`ActionResult`, :class:`ActionRunner` - the port every runner implements.
* :class:`ActionRegistry` - dispatches a call by its ``kind`` ("http", "book.*", ...).

The HTTP runner (aiohttp) is in :mod:`voicebot.actions.http`; it is not imported here, so importing the
port stays cheap and free of I/O clients.
"""

from voicebot.actions.base import ActionCall, ActionRegistry, ActionResult, ActionRunner, ActionStatus

__all__ = ["ActionCall", "ActionRegistry", "ActionResult", "ActionRunner", "ActionStatus"]
