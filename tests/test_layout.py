"""Layout rules of the dask_parsl package, checked on the modules found under dask_parsl/ at run time.

1. No import cycles. An edge is any import of a dask_parsl module, including imports
   inside functions but not those under ``if TYPE_CHECKING:``; ``from pkg import name``
   goes to the submodule ``pkg.name`` if there is one, else to ``pkg`` (its __init__).
2. Every module imports on its own, in a fresh interpreter.
3. Only dask_parsl/internals/ uses private names (``_x``, not dunders) of dask,
   distributed, dask_jobqueue, tornado and CPython (the standard library). Elsewhere the
   scan reports: importing a private module or name of theirs; ``obj._x``, ``getattr(obj,
   "_x")`` (setattr, hasattr, delattr) or a ``_x=`` keyword argument where dask_parsl does
   not define ``_x`` itself (def, class, module- or class-level assignment, ``self._x =``,
   ``__slots__``, parameter); any ``mod._x`` on an imported foreign module; and a dask_parsl
   class that defines or assigns a private name of a foreign base class (such a name is
   not dask_parsl's own either). tests/fixtures/private_access_examples.py shows each form.

The scanning logic is in tests/layout_rules.py.
"""
from pathlib import Path

import layout_rules as rules
import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "dask_parsl"
INTERNALS = "dask_parsl.internals"
FIXTURE = Path(__file__).parent / "fixtures" / "private_access_examples.py"


def fail_listing(title: str, lines: list[str]) -> None:
    if lines:
        pytest.fail(f"{title}:\n" + "\n".join(lines).replace(f"{REPO}/", ""), pytrace=False)


def test_no_module_imports_itself_through_a_cycle():
    modules = rules.discover_modules(PACKAGE)
    trees, errors = rules.parse_modules(modules)
    graph = rules.import_graph(modules, trees)
    cycles = [rules.describe_cycle(graph, cycle) for cycle in rules.import_cycles(graph)]
    fail_listing("import cycles", errors + cycles)


def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    failures = rules.import_failures(rules.discover_modules(PACKAGE), cwd=REPO)
    fail_listing("modules that do not import", [f"{module}: {error}" for module, error in failures.items()])


def test_the_private_name_scan_reports_exactly_the_lines_marked_in_its_fixture():
    project = rules.Project([rules.SourceModule("private_access_examples", FIXTURE)])
    findings = project.scan("private_access_examples", project.own_private_names())
    expected = rules.expected_findings(FIXTURE.read_text(encoding="utf-8"))
    assert {kind for _, kind in expected} == set(rules.FORMS), "the fixture shows every form"
    assert sorted((finding.line, finding.kind) for finding in findings) == sorted(expected), findings


def test_only_internals_uses_private_names_of_dask_distributed_jobqueue_and_cpython():
    project = rules.Project.from_files(rules.discover_modules(PACKAGE))
    internals = [module for module in project.modules
                 if module == INTERNALS or module.startswith(f"{INTERNALS}.")]
    own_names = project.own_private_names(exclude=internals)
    findings = [str(finding) for module in sorted(project.modules) if module not in internals
                for finding in project.scan(module, own_names)]
    fail_listing(f"{len(findings)} private name(s) used outside dask_parsl/internals/",
                 project.errors + findings)


def test_every_public_name_resolves():
    import dask_parsl

    missing = [name for name in dask_parsl.__all__ if not hasattr(dask_parsl, name)]
    assert not missing, f"in dask_parsl.__all__ but not importable: {missing}"
    assert len(set(dask_parsl.__all__)) == len(dask_parsl.__all__)
