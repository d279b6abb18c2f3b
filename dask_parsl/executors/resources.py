"""What an executor makes of a call's ``parsl_resource_specification``.

Each key is honoured or refused when the call is made: a key its executor cannot
honour fails the call at once with ``InvalidResourceSpecification``, rather than
leaving a task to wait for workers that will never come. A ``DaskExecutor``
honours ``priority`` (lower runs first, as in Parsl's HighThroughputExecutor) and
the Dask resources its workers offer, in amounts some worker has; Parsl's
``HighThroughputExecutor`` honours ``priority`` only and its
``ThreadPoolExecutor`` nothing, so dask_parsl's do the same.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from .errors import InvalidResourceSpecification

#: resource name -> the most that any worker offers; None while it cannot be known yet
Offered = Callable[[Iterable[str]], "Mapping[str, float] | None"]


def dask_options(executor: Any, specification: Any) -> dict | None:
    """What a call with ``specification`` asks of Dask on ``executor`` (None: a join app,
    whose body the kernel runs): ``{"resources": {...}, "priority": n}``, or None. An
    executor of Parsl's interface gets the specification itself; its
    ``validate_resource_spec``, if any, may refuse it now."""
    _check_mapping(specification)
    if executor is None:
        raise InvalidResourceSpecification(
            specification, "Join apps run in the kernel's threads and take no resource specification.")
    if not hasattr(executor, "dask_options"):  # Parsl's interface: the executor's own submit checks
        validate = getattr(executor, "validate_resource_spec", None)
        if validate is not None:
            validate(specification)
        return None
    return executor.dask_options(specification)


def options_for(label: str, specification: Mapping, offered: Offered, priority: bool = True) -> dict | None:
    """The Dask annotations of ``specification`` on the executor ``label``, whose workers
    offer ``offered(names)``; ``priority``: whether the executor honours that key."""
    _check_mapping(specification)
    options: dict[str, Any] = {}
    wanted = dict(specification)
    if priority and "priority" in wanted:
        value = wanted.pop("priority")
        if not _is_number(value):
            raise InvalidResourceSpecification({"priority"}, f"priority must be a number, not {value!r}.")
        options["priority"] = -value  # Parsl: lower runs first; Dask: higher runs first
    if not wanted:
        return options or None
    available = offered(wanted)
    if available is None:  # no worker yet: WorkflowPlugin's parsl.unrunnable-timeout applies
        available = dict.fromkeys(wanted, float("inf"))
    unknown = sorted(name for name in wanted if name not in available)
    if unknown:
        raise InvalidResourceSpecification(unknown, _offer(label, available, priority) + _HOW_TO_DECLARE)
    for name, amount in wanted.items():
        if not _is_number(amount):
            raise InvalidResourceSpecification(
                {name}, f"Executor {label!r}: {name} must be an amount (a number), not {amount!r}.")
        if amount > available[name]:
            raise InvalidResourceSpecification(
                {name}, f"Executor {label!r}: the call asks for {name}={amount}, but no worker offers "
                f"more than {name}={available[name]:g}.")
    options["resources"] = wanted
    return options


def nothing_offered(names: Iterable[str]) -> Mapping[str, float]:
    """For executors whose workers offer no resources to calls."""
    return {}


def _offer(label: str, available: Mapping[str, float], priority: bool) -> str:
    if not priority:
        return f"Executor {label!r} takes no resource specification."
    if not available:
        return f"Executor {label!r} takes only priority (its workers offer no resources)."
    offered = ", ".join(f"{name}={amount:g}" for name, amount in sorted(available.items()))
    return f"Executor {label!r} takes priority and the resources its workers offer ({offered})."


_HOW_TO_DECLARE = (" Send the call to an executor whose workers declare those resources "
                   "(DaskExecutor(resources={...}), or dask-worker --resources).")


def _check_mapping(specification: Any) -> None:
    if not isinstance(specification, Mapping):
        raise TypeError(f"parsl_resource_specification must be a dict, not {type(specification).__name__}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
