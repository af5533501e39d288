"""The package's structure as users and maintainers rely on it: the reader never imports the
build wing, `import ca_militancy` stays light, and no module imports itself through others.

The import graph is read from the source (every `import` and `from ... import` that names a
`ca_militancy` module, at any depth of a function, except those under `if TYPE_CHECKING:`),
so a lazy import inside a function counts: it would still tie the modules together at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ca_militancy"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for sub in ast.walk(child):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def import_graph() -> dict[str, set[str]]:
    """{module: the ca_militancy modules it imports}, from the source files."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        deps: set[str] = set()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep == "ca_militancy" or dep.startswith("ca_militancy.__"):
                continue  # the package's face and version: imported by all, importing none back
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_package_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_circle_finder_finds_a_circle():
    """The check above can fail: a made-up graph with a circle is caught."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]


def test_the_reader_never_imports_the_build_wing():
    graph = import_graph()
    reader = [m for m in graph if m.startswith("ca_militancy.reader") or m == "ca_militancy"]
    core = [m for m in graph if m.startswith("ca_militancy.core")]
    offenders = {
        m: sorted(d for d in graph[m] if d.startswith("ca_militancy.build")) for m in reader + core
    }
    offenders = {m: d for m, d in offenders.items() if d}
    assert not offenders, f"reader/core modules importing the build wing: {offenders}"


def test_the_core_imports_neither_wing():
    graph = import_graph()
    core = [m for m in graph if m.startswith("ca_militancy.core")]
    bad = {m: sorted(d for d in graph[m] if not d.startswith("ca_militancy.core")) for m in core}
    bad = {m: [d for d in deps if not d.startswith("ca_militancy.__")] for m, deps in bad.items()}
    bad = {m: d for m, d in bad.items() if d}
    assert not bad, f"core modules importing a wing: {bad}"


@pytest.mark.parametrize(
    "code",
    [
        "import ca_militancy",
        "import ca_militancy.reader.cli",
    ],
)
def test_reader_imports_load_no_build_module_and_no_heavy_library(code):
    probe = (
        f"{code}; import sys; "
        "print(','.join(sorted(m for m in sys.modules if m.startswith('ca_militancy.build') "
        "or m.split('.')[0] in ('pandas', 'pyarrow', 'polars', 'frictionless'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"`{code}` imported: {out}"


def test_using_the_reader_loads_no_build_module():
    """Loading, looking up and citing (the reader at work, not only imported) touch no build
    module."""
    probe = (
        "import sys, ca_militancy as cam; cam.load('organizations'); cam.lookup('IMU'); "
        "cam.tables(); "
        "print(','.join(sorted(m for m in sys.modules if m.startswith('ca_militancy.build'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    if out.returncode != 0 and "no data found" in out.stderr:
        pytest.skip("no built data in this checkout (run scripts/build.py first)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_no_module_of_the_package_is_git_ignored():
    """Every module is committed and shipped: an ignore pattern that matches a package folder
    (`build/` once matched `ca_militancy/build/`) drops new modules from git and the wheel."""
    root = PACKAGE.parents[1]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout: nothing can be ignored")
    modules = [str(p.relative_to(root)) for p in PACKAGE.rglob("*.py")]
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", *modules],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.strip() == "", f"git-ignored modules: {out.stdout.split()}"
