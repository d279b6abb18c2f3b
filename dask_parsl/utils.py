"""Parsl's ``parsl.utils`` helpers that user code subclasses or calls."""
from __future__ import annotations

import inspect

from .memo import get_all_checkpoints, get_last_checkpoint

__all__ = ["RepresentationMixin", "get_all_checkpoints", "get_last_checkpoint"]


class RepresentationMixin:
    """A ``__repr__`` that reads like the constructor call: ``Foo(1, 'two', fourth='baz')``.

    Each ``__init__`` parameter must be stored as an attribute of the same name.
    Parameters without a default are shown by position, the others by keyword in
    alphabetical order, as Parsl shows them; a representation wider than
    ``__max_width__`` puts one argument per line.
    """

    __max_width__ = 80

    def __repr__(self) -> str:
        positional, keywords = [], []
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            try:
                value = getattr(self, name)
            except AttributeError:
                raise AttributeError(
                    f"{type(self).__name__} has no attribute {name!r}: RepresentationMixin needs "
                    "each __init__ parameter stored under its own name") from None
            if parameter.default is parameter.empty:
                positional.append(repr(value))
            else:
                keywords.append(f"{name}={value!r}")
        arguments = [*positional, *sorted(keywords)]
        name = type(self).__name__
        one_line = f"{name}({', '.join(arguments)})"
        if len(one_line) <= self.__max_width__:
            return one_line
        return name + "(\n" + "".join(f"    {argument},\n" for argument in arguments) + ")"
