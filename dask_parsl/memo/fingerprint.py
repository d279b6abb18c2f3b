"""Fingerprints of app code: what the memoization hash knows of an app besides its arguments.

A fingerprint covers what a function computes as far as Python can see it
without running it:

* its bytecode, constants and names (nested functions and comprehensions
  included), so editing the body changes it and moving it does not;
* its default values, positional and keyword-only (those the app passes on
  every call, such as ``inputs``, are hashed as arguments instead);
* the contents of its closure cells;
* the module globals its code names, and the names it imports in its body:
  functions and classes among them are fingerprinted the same way, transitively,
  as long as they come from the user's own modules; other values by their
  memoization token (``id_for_memo``, else Dask's).

Code of the standard library is identified by name; code of installed packages
(``site-packages``, and dask_parsl itself) by name and the package's version, so
upgrading a package invalidates the entries of apps that use it. A value that
has no deterministic token (a lock, a client, an open connection) counts by its
type only, and is named in one ``UnhashableGlobalWarning``.

Bytecode differs between Python minor versions: entries written under one are
not found under another (``store`` warns when such checkpoints are loaded).
"""
from __future__ import annotations

import functools
import importlib.metadata
import os
import site
import sys
import sysconfig
import types
import warnings
from typing import Any, Callable, Collection

from dask.base import tokenize

from ..apps.base import App
from .errors import UnhashableArgument, UnhashableGlobalWarning
from .hashers import memo_token

#: packages that are libraries wherever they are installed (an editable install included)
_ALWAYS_LIBRARY = frozenset({"dask_parsl"})
_DESCRIPTORS = (types.MemberDescriptorType, types.GetSetDescriptorType, types.WrapperDescriptorType)


def code_fingerprint(func: Callable, passed: Collection[str] = ()) -> str:
    """A token of ``func``'s code, defaults, closure and the globals it reads.

    ``passed`` names parameters whose defaults are hashed as call arguments.
    Compute it once per app and run: walking the globals costs more than a call.
    """
    walk = _Walk()
    parts = walk.function(func, frozenset(passed))
    if walk.unhashable:
        name = getattr(func, "__qualname__", repr(func))
        warnings.warn(
            f"{name} reads {', '.join(walk.unhashable)}, which cannot be hashed: its cached "
            "results count only their types, not their values. Pass them as arguments, name "
            "them in ignore_for_cache, or register a hasher with id_for_memo.register.",
            UnhashableGlobalWarning, stacklevel=2)
    return tokenize(parts)


class _Walk:
    """One fingerprint's walk over code, following functions and classes once each."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.unhashable: list[str] = []
        self._keep: list = []  # objects whose ids are in `seen` stay alive during the walk

    def _visited(self, obj: Any) -> tuple | None:
        index = self.seen.get(id(obj))
        if index is not None:
            return ("seen", index)
        self.seen[id(obj)] = len(self.seen)
        self._keep.append(obj)
        return None

    def function(self, func: Callable, passed: frozenset = frozenset()) -> Any:
        code = getattr(func, "__code__", None)
        module = getattr(func, "__module__", None)
        if code is None and not isinstance(func, types.BuiltinFunctionType):
            return self.value(func, "the app's function")  # a partial, a callable object, ...
        if code is None or not is_user_module(module, code.co_filename):
            return library_part(module, getattr(func, "__qualname__", ""))
        visited = self._visited(func)
        if visited:
            return visited
        parts: list = [_code_parts(code)]
        defaults = func.__defaults__ or ()
        positional = code.co_varnames[code.co_argcount - len(defaults):code.co_argcount]
        named = [*zip(positional, defaults, strict=True), *sorted((func.__kwdefaults__ or {}).items())]
        parts.append(tuple((name, self.value(value, f"the default of {name}"))
                           for name, value in named if name not in passed))
        cells = []
        for name, cell in zip(code.co_freevars, func.__closure__ or (), strict=True):
            try:
                contents = cell.cell_contents
            except ValueError:  # not assigned yet
                cells.append((name, "empty"))
                continue
            cells.append((name, self.value(contents, name)))
        parts.append(tuple(cells))
        parts.append(self.globals(func.__globals__, _names(code)))
        return tuple(parts)

    def globals(self, namespace: dict, names: set[str]) -> tuple:
        parts = []
        for name in sorted(names):
            if name in namespace:
                value = namespace[name]
                parts.append((name, self.module(value, names) if isinstance(value, types.ModuleType)
                              else self.value(value, name)))
            elif name in sys.modules:  # imported in the body (or an attribute named like a module)
                parts.append((name, self.module(sys.modules[name], names)))
        return tuple(parts)

    def module(self, module: types.ModuleType, names: set[str]) -> tuple:
        """A user module by the attributes the code names; a library module by name and version."""
        if not is_user_module(module.__name__, getattr(module, "__file__", None)):
            return library_part(module.__name__, "")
        visited = self._visited(module)
        if visited:
            return visited
        return ("module", self.globals(vars(module), names))

    def value(self, value: Any, name: str, warn: bool = True) -> Any:
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
            return self.function(value)
        if isinstance(value, type):
            return self.cls(value)
        if isinstance(value, types.MethodType):
            return ("method", self.function(value.__func__), self.value(value.__self__, name))
        if isinstance(value, functools.partial):
            return ("partial", self.value(value.func, name), self.value(value.args, name),
                    self.value(value.keywords, name))
        if isinstance(value, types.ModuleType):
            return self.module(value, set())
        if isinstance(value, App):  # another app (a join app's body calls them)
            return ("app", type(value).__name__, self.function(value.func))
        kind = type(value)
        try:
            token = memo_token(value)
        except UnhashableArgument:
            if warn:
                self.unhashable.append(f"{name} ({kind.__module__}.{kind.__qualname__})")
            token = "unhashable"
        return (token, self.cls(kind))  # the methods of the user's own classes count too

    def cls(self, cls: type) -> tuple:
        module = cls.__module__
        file = getattr(sys.modules.get(module), "__file__", None)
        if not is_user_module(module, file):
            return library_part(module, cls.__qualname__)
        visited = self._visited(cls)
        if visited:
            return visited
        members = []
        for name, member in sorted(vars(cls).items()):
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            elif isinstance(member, property):
                accessors = (member.fget, member.fset, member.fdel)
                members.append((name, tuple(self.function(f) for f in accessors if f is not None)))
                continue
            elif isinstance(member, _DESCRIPTORS) or (name.startswith("__") and not callable(member)):
                continue  # __module__, __doc__, __dict__, slots, ...
            members.append((name, self.value(member, f"{cls.__qualname__}.{name}", warn=False)))
        bases = tuple(self.cls(base) for base in cls.__bases__ if base is not object)
        return ("class", cls.__qualname__, bases, tuple(members))


def _code_parts(code: types.CodeType) -> tuple:
    consts = tuple(_code_parts(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)


def _names(code: types.CodeType) -> set[str]:
    """The global and attribute names of ``code`` and of the code nested in it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


@functools.lru_cache(maxsize=None)
def _library_dirs() -> tuple[str, ...]:
    paths = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.update(site.getsitepackages())
    paths.add(site.getusersitepackages())
    return tuple(os.path.join(os.path.realpath(path), "") for path in paths if path)


@functools.lru_cache(maxsize=4096)
def is_user_module(module: str | None, file: str | None = None) -> bool:
    """Whether code of ``module`` (defined in ``file``) is the user's own, not a library's.

    The user's own: ``__main__``, code made by ``exec``, and modules outside the
    standard library and ``site-packages``. dask_parsl is a library even when
    installed in editable mode."""
    top = (module or "").partition(".")[0]
    if top in ("__main__", "__mp_main__"):
        return True
    if top in _ALWAYS_LIBRARY or top in sys.builtin_module_names or top in sys.stdlib_module_names:
        return False
    loaded = sys.modules.get(module) if module else None
    if loaded is not None:
        file = getattr(loaded, "__file__", None)
        if file is None:  # built in, or a namespace package
            return False
    if file is None or file.startswith("<"):  # exec'd code
        return True
    return not os.path.realpath(file).startswith(_library_dirs())


def library_part(module: str | None, qualname: str) -> tuple:
    """What stands for library code: its name, and its package's version."""
    return ("library", module, qualname, package_version(module))


@functools.lru_cache(maxsize=1024)
def package_version(module: str | None) -> str | None:
    """The installed version of the package ``module`` belongs to (None for the
    standard library, or when none is found)."""
    top = (module or "").partition(".")[0]
    if not top or top in sys.stdlib_module_names or top in sys.builtin_module_names:
        return None
    version = getattr(sys.modules.get(top), "__version__", None)
    if isinstance(version, str):
        return version
    try:
        return importlib.metadata.version(top)
    except Exception:
        pass
    distributions = _packages_distributions().get(top)
    if distributions:
        try:
            return f"{distributions[0]} {importlib.metadata.version(distributions[0])}"
        except Exception:
            return None
    return None


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict:
    return importlib.metadata.packages_distributions()
