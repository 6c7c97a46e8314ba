"""An activity's view of its workflow's input (the run's plan, the apply's request: config, plan, options),
read once per worker and workflow run from the first event of the workflow's history, so activity inputs
carry only what differs between them (a target, a step) and the history holds the config once, not once per
target, pass or wait check."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any, TypeVar

from temporalio import activity

T = TypeVar("T")

_KEEP = 32  # workflow runs whose input a worker keeps (a worker serves few at once)
_CACHE: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_LOCK = asyncio.Lock()


async def workflow_input(kind: type[T]) -> T:
    """The input the current activity's workflow run was started with, as `kind`."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest

    info = activity.info()
    namespace = info.workflow_namespace or "default"
    wid, run_id = info.workflow_id or "", info.workflow_run_id or ""
    key = (namespace, wid, run_id)
    async with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]  # type: ignore[no-any-return]
        client = activity.client()
        request = GetWorkflowExecutionHistoryRequest(
            namespace=namespace,
            execution=WorkflowExecution(workflow_id=wid, run_id=run_id),
            maximum_page_size=1,
        )
        history = await client.workflow_service.get_workflow_execution_history(request)
        started = history.history.events[0].workflow_execution_started_event_attributes
        (value,) = await client.data_converter.decode(started.input.payloads, [kind])
        _CACHE[key] = value
        while len(_CACHE) > _KEEP:
            _CACHE.popitem(last=False)
        return value  # type: ignore[no-any-return]
