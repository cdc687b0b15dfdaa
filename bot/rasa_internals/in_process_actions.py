"""Custom actions run inside the Rasa process (``ACTIONS_IN_PROCESS``, the default): no action server.

Rasa 3.6 runs a custom action (``RemoteAction.run``) by posting the conversation to the action
endpoint (``EndpointConfig.request``) and reading back the events and responses that rasa-sdk's
``/webhook`` answers. ``InProcessEndpoint`` is such an endpoint whose ``request`` hands the same body
to rasa-sdk's ``ActionExecutor`` in this process and returns the same answer, with the errors Rasa
gets from an action server: ``ClientResponseError`` 400 for a rejected action (Rasa turns it into
``ActionExecutionRejection``: a form's validation may refuse), 404 for an unknown action and 500 for
one that raised, each with the body rasa-sdk sends. Body and answer go through JSON both ways, as
over HTTP: an action never shares an object with Rasa's tracker, and a value JSON cannot carry fails
as it would there. Everything else in ``RemoteAction.run`` (checking the answer, the responses, the
events) stays Rasa's. Saved on each call: the HTTP request, the action server's parsing, the second
process and its memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Optional

import ujson
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

import bot.rasa_internals  # noqa: F401  (checks the Rasa version)
from bot.rasa_internals.speedups import _replace, request_json

logger = logging.getLogger(__name__)
IN_PROCESS_URL = "in-process://actions"  # shown where Rasa logs the endpoint; never dialled


class InProcessEndpoint(EndpointConfig):
    """An action endpoint served by rasa-sdk's executor in this process (see module doc).

    Built from the configured endpoint, whose settings (``enable_selective_domain``…) it keeps.
    """

    def __init__(self, executor: Any, configured: Optional[EndpointConfig] = None) -> None:
        super().__init__(IN_PROCESS_URL)
        if configured is not None:
            self.__dict__.update({k: v for k, v in vars(configured).items() if not k.startswith("_") and v})
        self.executor = executor

    async def request(
        self,
        method: str = "post",
        subpath: Optional[str] = None,
        content_type: Optional[str] = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The answer of ``/webhook`` to ``kwargs["json"]`` (the only call Rasa makes to this endpoint)."""
        return await run_in_process(self.executor, kwargs.get("json"))


def _answer_json(value: Any) -> str:
    """The answer as the action server writes it (sanic's ``response.json``: ``ujson``)."""
    return ujson.dumps(value, ensure_ascii=False)


async def run_in_process(executor: Any, body: Any) -> Any:
    """What the action server's ``/webhook`` would answer to ``body``, or the error Rasa would get."""
    call = ujson.loads(request_json(body))  # what the action server would have read
    try:
        result = await asyncio.wait_for(executor.run(call), DEFAULT_REQUEST_TIMEOUT)
        answer = _answer_json(result)
    except ActionExecutionRejection as e:
        raise ClientResponseError(
            400, "Bad Request", json.dumps({"error": e.message, "action_name": e.action_name})
        ) from None
    except ActionNotFoundException as e:
        logger.error(e)
        raise ClientResponseError(
            404, "Not Found", json.dumps({"error": e.message, "action_name": e.action_name})
        ) from None
    except asyncio.TimeoutError:
        raise  # as aiohttp's own timeout: Rasa logs the failed action
    except Exception as e:
        logger.error("Exception occurred during execution of action %r", call.get("next_action"), exc_info=e)
        raise ClientResponseError(500, "Internal Server Error", json.dumps({"error": str(e)})) from e
    return ujson.loads(answer)


def run_actions_in_process(package: str) -> None:
    """Every action endpoint Rasa reads from now on runs ``package``'s actions in this process."""
    from rasa.core.utils import AvailableEndpoints
    from rasa_sdk.executor import ActionExecutor

    original = AvailableEndpoints.__dict__["read_endpoints"].__func__
    if getattr(original, "_in_process", False):
        return
    executor = ActionExecutor()
    executor.register_package(package)

    def read_endpoints(cls: Any, endpoint_file: Any) -> Any:
        endpoints = original(cls, endpoint_file)
        endpoints.action = InProcessEndpoint(executor, endpoints.action)
        return endpoints

    read_endpoints._in_process = True  # type: ignore[attr-defined]
    _replace(AvailableEndpoints, "read_endpoints", classmethod(read_endpoints))
