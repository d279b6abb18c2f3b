"""``join_app``: a function run on the client that launches apps and returns their futures."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from .base import App, make_decorator


class JoinApp(App):
    """A function run on the client that returns futures of other apps.

    The join app's future completes with their results when they finish. With
    ``cache=True`` that final value is memoized, and checkpointed, as Parsl does.
    """

    kind = "join"

    def __init__(self, func: Callable, data_flow_kernel: Any = None, cache: bool = False,
                 ignore_for_cache: Sequence[str] | None = None, retries: int | None = None) -> None:
        super().__init__(func, data_flow_kernel=data_flow_kernel, executors="all",
                         cache=cache, ignore_for_cache=ignore_for_cache, retries=retries)


def join_app(
    function: Callable | None = None,
    data_flow_kernel: Any = None,
    cache: bool = False,
    ignore_for_cache: Sequence[str] | None = None,
    retries: int | None = None,
) -> Any:
    """Make a function a join app, whose body runs on the client and returns futures."""
    return make_decorator(JoinApp, function, data_flow_kernel=data_flow_kernel, cache=cache,
                          ignore_for_cache=ignore_for_cache, retries=retries)
