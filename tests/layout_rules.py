"""The checks behind tests/test_layout.py: import graph, fresh-interpreter imports, private names.

Everything works on source files found at run time (``discover_modules``), so
the rules keep working while modules move between subpackages.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tokenize
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Iterable, Mapping

#: the packages whose private names only dask_parsl/internals/ may use, besides CPython's
FOREIGN_PACKAGES = frozenset({"dask", "distributed", "dask_jobqueue", "tornado"})
FOREIGN_TOP_LEVEL = FOREIGN_PACKAGES | frozenset(sys.stdlib_module_names)

#: underscore names the standard library documents as public (namedtuple's API, ``os._exit``)
DOCUMENTED_PUBLIC = frozenset({"_asdict", "_replace", "_make", "_fields", "_field_defaults"})
DOCUMENTED_PUBLIC_MODULE_ATTRIBUTES = frozenset({"os._exit"})

#: finding kinds (the words of ``# expect:`` comments in the fixture) and how they read
FORMS = {
    "private-module": "imports private module",
    "private-import": "imports private name",
    "private-module-attribute": "uses private attribute of module",
    "private-attribute": "uses private attribute",
    "private-attribute-string": "uses private attribute by name",
    "private-keyword": "passes private keyword argument",
    "override": "overrides a private name of",
}

_STRING_ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def is_private(name: str) -> bool:
    """``_x``, not ``__x__`` (dunder), ``_x_`` (Enum's documented sunder hooks) nor ``_``."""
    if not name.startswith("_") or name == "_" or name.startswith("__") and name.endswith("__"):
        return False
    return not (len(name) > 2 and name[1] != "_" and name.endswith("_") and not name.endswith("__"))


# -- modules ---------------------------------------------------------------------------------


def discover_modules(package_dir: Path) -> dict[str, Path]:
    """Module name -> path for every .py under ``package_dir`` (``pkg/__init__.py`` is ``pkg``)."""
    package_dir = Path(package_dir).resolve()
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        if any(part == "__pycache__" or part.startswith(".") for part in relative.parts):
            continue
        parts = [package_dir.name, *relative.parts[:-1]]
        if path.stem != "__init__":
            parts.append(path.stem)
        modules[".".join(parts)] = path
    return modules


def parse_modules(modules: Mapping[str, Path]) -> tuple[dict[str, ast.Module], list[str]]:
    """The syntax trees, and one message per file that does not parse."""
    trees, errors = {}, []
    for name, path in modules.items():
        try:
            trees[name] = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            errors.append(f"{path}:{error.lineno}: cannot parse: {error.msg}")
    return trees, errors


def _is_package(path: Path) -> bool:
    return Path(path).name == "__init__.py"


def absolute_module(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, relative imports resolved."""
    if node.level == 0:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _executed_nodes(node: ast.AST, in_function: bool = False):
    """(node, inside a function?) for every node, leaving out ``if TYPE_CHECKING:`` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:
                yield statement, in_function
                yield from _executed_nodes(statement, in_function)
            continue
        yield child, in_function
        nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _executed_nodes(child, nested)


# -- rule 1: import cycles -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportEdge:
    source: str
    target: str
    path: Path
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = " (inside a function)" if self.in_function else ""
        return f"{self.path}:{self.line}{where} imports {self.target}"


def import_graph(modules: Mapping[str, Path],
                 trees: Mapping[str, ast.Module]) -> dict[str, dict[str, ImportEdge]]:
    """source -> target -> first import of target in source, for imports between ``modules``.

    Counts imports inside functions, not those under ``if TYPE_CHECKING:``. ``from pkg
    import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.
    """
    graph: dict[str, dict[str, ImportEdge]] = {name: {} for name in trees}
    for source, tree in trees.items():
        is_package = _is_package(modules[source])
        for node, in_function in _executed_nodes(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(source, is_package, node)
                for alias in node.names:
                    targets.append(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
            for target in targets:
                if target in modules and target not in graph[source]:
                    graph[source][target] = ImportEdge(source, target, modules[source], node.lineno,
                                                       in_function)
    return graph


def strongly_connected_components(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components in no particular order, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _shortest_cycle_through(graph: Mapping[str, Iterable[str]], start: str, allowed: set[str]) -> list[str]:
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph.get(node, ())):
            if successor == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if successor in allowed and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return []


def import_cycles(graph: Mapping[str, Mapping[str, ImportEdge]]) -> list[list[str]]:
    """Cycles covering every strongly connected component of more than one module and
    every self-import: for each module in such a component, the shortest cycle through it
    (duplicates dropped). Each cycle ends with its first module."""
    cycles = []
    for component in strongly_connected_components(graph):
        if len(component) == 1 and component[0] not in graph[component[0]]:
            continue
        seen = set()
        for module in component:
            cycle = _shortest_cycle_through(graph, module, set(component))
            rotation = min(range(len(cycle) - 1), key=lambda i: cycle[i])
            canonical = tuple(cycle[rotation:-1] + cycle[:rotation])
            if canonical not in seen:
                seen.add(canonical)
                cycles.append([*canonical, canonical[0]])
    return cycles


def describe_cycle(graph: Mapping[str, Mapping[str, ImportEdge]], cycle: list[str]) -> str:
    edges = [graph[source][target] for source, target in pairwise(cycle)]
    return " -> ".join(cycle) + "".join(f"\n    {edge}" for edge in edges)


# -- rule 2: every module imports in a fresh interpreter -------------------------------------


_RESULT_MARKER = "@@import-failures@@"

# Run by a fresh interpreter: imports the packages in job["preload"] (not dask_parsl), then
# forks one child per module, job["workers"] at a time; each child imports its module and
# sends back the last line of the error, if any.
_FORKING_IMPORTER = r"""
import json, os, signal, sys, time, traceback

job = json.loads(sys.stdin.read())
for name in job["preload"]:
    try:
        __import__(name)
    except BaseException:
        pass
pending, running, errors, killed = list(job["modules"]), {}, {}, set()
while pending or running:
    while pending and len(running) < job["workers"]:
        name = pending.pop(0)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                __import__(name)
                message, code = "", 0
            except BaseException as error:
                message, code = traceback.format_exception_only(type(error), error)[-1].strip(), 1
            os.write(write_end, message.encode()[:60000])
            os._exit(code)
        os.close(write_end)
        running[pid] = (name, read_end, time.monotonic())
    pid, status = os.waitpid(-1, os.WNOHANG)
    if pid == 0:
        for pid, (name, _, started) in running.items():
            if pid not in killed and time.monotonic() - started > job["timeout"]:
                killed.add(pid)
                os.kill(pid, signal.SIGKILL)
                errors[name] = f"timed out after {job['timeout']} s"
        time.sleep(0.005)
        continue
    name, read_end, _ = running.pop(pid)
    message = os.read(read_end, 65536).decode(errors="replace")
    os.close(read_end)
    if pid in killed:
        continue
    if os.WIFSIGNALED(status):
        errors[name] = f"killed by signal {os.WTERMSIG(status)}"
    elif os.WEXITSTATUS(status):
        errors[name] = message or f"exit status {os.WEXITSTATUS(status)}"
print("\n" + sys.argv[1] + json.dumps(errors))
"""


def preloaded_packages(modules: Mapping[str, Path]) -> list[str]:
    """The top-level packages ``modules`` import at module level, other than their own."""
    trees, _ = parse_modules(modules)
    own = {name.split(".")[0] for name in modules}
    found = set()
    for tree in trees.values():
        for node, in_function in _executed_nodes(tree):
            if in_function:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return sorted(found - own)


def import_failures(modules: Mapping[str, Path], cwd: Path, python: str = sys.executable,
                    workers: int | None = None, timeout: float = 120) -> dict[str, str]:
    """Module -> last line of its error, for each module that does not import on its own.

    Each module is imported by a fresh process, ``workers`` at a time: a child forked from
    an interpreter that imported only the third-party and standard-library packages the
    modules import (so none of ``modules``), or, without ``os.fork``, ``python -c "import
    module"``. Either way no module is imported after another one of ``modules``.
    """
    names = sorted(modules)
    workers = workers or max(2, os.cpu_count() or 2)
    if hasattr(os, "fork"):
        job = {"preload": preloaded_packages(modules), "modules": names, "workers": workers,
               "timeout": timeout}
        process = subprocess.run([python, "-c", _FORKING_IMPORTER, _RESULT_MARKER], input=json.dumps(job),
                                 cwd=cwd, capture_output=True, text=True, timeout=timeout * len(names))
        _, marker, result = process.stdout.rpartition(_RESULT_MARKER)
        if not marker:
            raise RuntimeError(f"the importing interpreter failed:\n{process.stderr}")
        return json.loads(result)

    def try_import(module: str) -> str | None:
        try:
            process = subprocess.run([python, "-c", f"import {module}"], cwd=cwd, capture_output=True,
                                     text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"timed out after {timeout} s"
        if process.returncode == 0:
            return None
        lines = process.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit status {process.returncode}"

    with ThreadPoolExecutor(workers) as pool:
        errors = list(pool.map(try_import, names))
    return {module: error for module, error in zip(names, errors, strict=True) if error is not None}


# -- rule 3: private names -------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str  # a key of FORMS
    name: str
    owner: str = ""  # for overrides: the foreign class that defines the name

    @property
    def form(self) -> str:
        return f"{FORMS[self.kind]} {self.owner}" if self.owner else FORMS[self.kind]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.form} {self.name}"


def _dotted(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        value = _dotted(expr.value)
        return f"{value}.{expr.attr}" if value else None
    if isinstance(expr, ast.Subscript):  # Generic[T]
        return _dotted(expr.value)
    return None


def _assignment_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return []
    flat = []
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        else:
            flat.append(target)
    return flat


def _is_foreign(module: str) -> bool:
    return module.split(".")[0] in FOREIGN_TOP_LEVEL


def _is_foreign_module(name: str) -> bool:
    if not _is_foreign(name):
        return False
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@lru_cache(maxsize=None)
def foreign_class_private_names(cls: type) -> dict[str, str]:
    """Private name -> defining class, over the MRO of a foreign class: class attributes
    (``dir``) and the ``self._x`` its methods assign (instance attributes)."""
    names: dict[str, str] = {}
    for klass in cls.__mro__:
        if klass is object:
            continue
        slots = getattr(klass, "__slots__", ())
        for name in [*vars(klass), *([slots] if isinstance(slots, str) else slots)]:
            if isinstance(name, str) and is_private(name):
                names.setdefault(name, _qualified_name(klass))
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            for target in _assignment_targets(node):
                if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                        and target.value.id == "self" and is_private(target.attr)):
                    names.setdefault(target.attr, _qualified_name(klass))
    for name in dir(cls):  # anything the metaclass machinery adds
        if is_private(name):
            names.setdefault(name, _qualified_name(cls))
    return names


@dataclass
class _Definition:
    name: str
    line: int
    node: ast.AST
    cls: ast.ClassDef | None  # the class it is a member of, if any


class SourceModule:
    """One parsed source file and the names its imports bind."""

    def __init__(self, name: str, path: Path | str, source: str | None = None,
                 is_package: bool = False) -> None:
        self.name = name
        self.path = str(path)
        self.source = Path(path).read_text(encoding="utf-8") if source is None else source
        self.is_package = is_package or Path(path).name == "__init__.py"
        self.tree = ast.parse(self.source, filename=self.path)
        self.classes = {node.name: node for node in self.tree.body if isinstance(node, ast.ClassDef)}
        #: local name -> what it is bound to, e.g. "Future" -> "concurrent.futures.Future"
        self.bindings: dict[str, str] = {}
        #: local names bound to a foreign module, e.g. "sys" -> "sys", "cf" -> "concurrent.futures"
        self.foreign_modules: dict[str, str] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else alias.name.split(".")[0]
                    self.bindings[local] = target
                    if _is_foreign(target):
                        self.foreign_modules[local] = target
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(self.name, self.is_package, node)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    local = alias.asname or alias.name
                    self.bindings[local] = f"{base}.{alias.name}"
                    if node.level == 0 and _is_foreign_module(f"{base}.{alias.name}"):
                        self.foreign_modules[local] = f"{base}.{alias.name}"


class Project:
    """Source files looked at together: classes are resolved across them (and foreign
    bases by importing them); the private names they define are their own names."""

    def __init__(self, modules: Iterable[SourceModule], errors: Iterable[str] = ()) -> None:
        self.modules = {module.name: module for module in modules}
        self.errors = list(errors)  # the files that do not parse
        self.tops = {name.split(".")[0] for name in self.modules}
        self._foreign_names: dict[tuple[str, int], dict[str, str]] = {}

    @classmethod
    def from_files(cls, files: Mapping[str, Path]) -> Project:
        """From module name -> path, e.g. ``discover_modules(...)``."""
        modules, errors = [], []
        for name, path in files.items():
            try:
                modules.append(SourceModule(name, path))
            except SyntaxError as error:
                errors.append(f"{path}:{error.lineno}: cannot parse: {error.msg}")
        return cls(modules, errors)

    # -- classes
    def _resolve(self, module: SourceModule, dotted: str):
        head, _, rest = dotted.partition(".")
        if head in module.classes and not rest:
            return module, module.classes[head]
        if head in module.bindings:
            full = module.bindings[head] + (f".{rest}" if rest else "")
        elif hasattr(builtins, head):
            full = f"builtins.{dotted}"
        else:
            return None
        return self._resolve_full(full, 0)

    def _resolve_full(self, full: str, depth: int):
        parts = full.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            owner = self.modules.get(".".join(parts[:cut]))
            if owner is None:
                continue
            if len(parts) - cut != 1:
                return None
            if parts[cut] in owner.classes:
                return owner, owner.classes[parts[cut]]
            if parts[cut] in owner.bindings and depth < 20:  # a re-export
                return self._resolve_full(owner.bindings[parts[cut]], depth + 1)
            return None
        if parts[0] in self.tops or parts[0] not in FOREIGN_TOP_LEVEL:
            return None
        for cut in range(len(parts), 0, -1):
            try:
                value = importlib.import_module(".".join(parts[:cut]))
                for attribute in parts[cut:]:
                    value = getattr(value, attribute)
            except Exception:
                continue
            return value if isinstance(value, type) else None
        return None

    def foreign_private_names(self, module: SourceModule, cls: ast.ClassDef) -> dict[str, str]:
        """Private name -> foreign class defining it, for the foreign classes ``cls`` inherits."""
        key = (module.name, id(cls))
        if key in self._foreign_names:
            return self._foreign_names[key]
        self._foreign_names[key] = names = {}  # an inheritance loop ends here
        for base in cls.bases:
            dotted = _dotted(base)
            resolved = self._resolve(module, dotted) if dotted else None
            if isinstance(resolved, tuple):
                inherited = self.foreign_private_names(*resolved)
            elif isinstance(resolved, type):
                try:
                    inherited = foreign_class_private_names(resolved)
                except Exception:
                    continue
            else:
                continue
            for name, owner in inherited.items():
                names.setdefault(name, owner)
        return names

    # -- definitions
    def _definitions(self, module: SourceModule) -> list[_Definition]:
        found: list[_Definition] = []

        def define(name: str, node: ast.AST, cls: ast.ClassDef | None) -> None:
            if is_private(name):
                found.append(_Definition(name, node.lineno, node, cls))

        def visit(node: ast.AST, scope: str, cls: ast.ClassDef | None,
                  method_class: ast.ClassDef | None) -> None:
            # scope: "module", "class" or "function"; cls: the class whose body this is;
            # method_class: the class of the methods whose ``self._x = ...`` define members
            member_of = cls if scope == "class" else None
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    define(child.name, child, member_of)
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    arguments = child.args
                    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                     arguments.vararg, arguments.kwarg]:
                        if argument is not None:
                            define(argument.arg, argument, None)
                for target in _assignment_targets(child):
                    if isinstance(target, ast.Name) and scope != "function":
                        define(target.id, target, member_of)
                        if scope == "class" and target.id == "__slots__" and child.value is not None:
                            for item in ast.walk(child.value):
                                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                                    for slot in item.value.split():
                                        define(slot, item, cls)
                    elif (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                          and target.value.id in ("self", "cls")):
                        define(target.attr, target, method_class)
                if isinstance(child, ast.ClassDef):
                    visit(child, "class", child, child)
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    visit(child, "function", None, method_class)
                else:
                    visit(child, scope, cls, method_class)

        visit(module.tree, "module", None, None)
        return found

    def definitions(self, module: SourceModule) -> tuple[set[str], list[Finding]]:
        """The private names ``module`` defines as its own, and its overrides of foreign ones."""
        own, overrides = set(), []
        for definition in self._definitions(module):
            foreign = self.foreign_private_names(module, definition.cls) if definition.cls else {}
            if definition.name in foreign:
                overrides.append(Finding(module.path, definition.line, "override", definition.name,
                                         foreign[definition.name]))
            else:
                own.add(definition.name)
        return own, overrides

    def own_private_names(self, exclude: Iterable[str] = ()) -> set[str]:
        """The private names the modules (but those in ``exclude``) define themselves."""
        names: set[str] = set()
        for name, module in self.modules.items():
            if name not in set(exclude):
                names |= self.definitions(module)[0]
        return names

    def scan(self, module_name: str, own_names: set[str]) -> list[Finding]:
        """Private names of foreign code that ``module_name`` uses, sorted by line."""
        module = self.modules[module_name]
        _, overrides = self.definitions(module)
        return sorted(overrides + scan_uses(module, own_names, {(f.line, f.name) for f in overrides}),
                      key=lambda finding: (finding.line, finding.kind, finding.name))


def scan_uses(module: SourceModule, own_names: set[str],
              skip: set[tuple[int, str]] = frozenset()) -> list[Finding]:
    """Forms a-d and private keyword arguments in ``module`` (overrides are ``Project.scan``'s)."""
    findings = []

    def add(node: ast.AST, kind: str, name: str) -> None:
        if (node.lineno, name) not in skip:
            findings.append(Finding(module.path, node.lineno, kind, name))

    def module_chain(node: ast.Attribute) -> list[str] | None:
        """[module, attribute, ...] for ``mod.a.b`` where ``mod`` is bound to a foreign module."""
        attributes = []
        while isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in module.foreign_modules:
            return None
        return [module.foreign_modules[node.id], *reversed(attributes)]

    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_foreign(alias.name) and any(is_private(part) for part in alias.name.split(".")):
                    add(node, "private-module", alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_foreign(node.module or ""):
            if any(is_private(part) for part in node.module.split(".")):
                add(node, "private-module", node.module)
            else:
                for alias in node.names:
                    if is_private(alias.name):
                        add(node, "private-import", f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            chain = module_chain(node)
            if chain is not None:  # checked against the foreign module only
                name = ".".join(chain)
                inner_private = any(is_private(part) for part in chain[1:-1])  # reported there
                if not inner_private and name not in DOCUMENTED_PUBLIC_MODULE_ATTRIBUTES:
                    add(node, "private-module-attribute", name)
            elif node.attr not in own_names and node.attr not in DOCUMENTED_PUBLIC:
                add(node, "private-attribute", node.attr)
        elif isinstance(node, ast.Call):
            if (isinstance(node.func, ast.Name) and node.func.id in _STRING_ATTRIBUTE_FUNCTIONS
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str) and is_private(node.args[1].value)):
                name, target = node.args[1].value, node.args[0]
                if isinstance(target, ast.Name) and target.id in module.foreign_modules:
                    add(node, "private-attribute-string", f"{module.foreign_modules[target.id]}.{name}")
                elif name not in own_names and name not in DOCUMENTED_PUBLIC:
                    add(node, "private-attribute-string", name)
            for keyword in node.keywords:
                if keyword.arg and is_private(keyword.arg) and keyword.arg not in own_names:
                    add(keyword, "private-keyword", keyword.arg)
    return findings


def expected_findings(source: str) -> list[tuple[int, str]]:
    """(line, kind) for each kind listed in a ``# expect: kind, kind`` comment."""
    expected = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        match = re.fullmatch(r"#\s*expect:\s*(.*?)\s*", token.string)
        if token.type == tokenize.COMMENT and match:
            expected += [(token.start[0], kind.strip()) for kind in match.group(1).split(",")]
    return expected
