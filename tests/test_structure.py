"""The shape of the code: stages without import cycles, each module importable alone and
tested in its own file, and functions short enough to read."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "recordpack"
MAX_LINES = 60


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def runtime_imports(path: Path, known: set[str] | None = None) -> set[str]:
    """recordpack modules imported when the module loads (not under TYPE_CHECKING).

    ``from a import b`` imports the module ``a.b`` when there is one, else a name from ``a``.
    """
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:  # module level only: imports inside functions are lazy on purpose
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                names |= {a.name for a in sub.names}
            elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                inner = {f"{sub.module}.{a.name}" for a in sub.names}
                named_modules = inner & known if known is not None else inner
                names |= named_modules
                if named_modules != inner:
                    names.add(sub.module)
    return {n for n in names if n.split(".")[0] == "recordpack"}


def graph() -> dict[str, set[str]]:
    """Module -> the modules loading it runs: parent packages too, but not its own."""
    known = modules()
    edges = {}
    for name, path in known.items():
        targets = {t for t in runtime_imports(path, set(known)) if t in known}
        parents = {t.rsplit(".", 1)[0] for t in targets if t.count(".") > 1}  # no deeper nesting
        own = {".".join(name.split(".")[: n + 1]) for n in range(name.count(".") + 1)}
        edges[name] = (targets | parents) - own - {"recordpack"}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """A cycle in the graph (its nodes, the first repeated at the end), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_there_is_no_import_cycle():
    assert find_cycle(graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_import_reader_tells_modules_from_names(tmp_path: Path):
    (tmp_path / "a.py").write_text("from recordpack.b import x\n")
    assert runtime_imports(tmp_path / "a.py", {"recordpack.b"}) == {"recordpack.b"}
    assert runtime_imports(tmp_path / "a.py", {"recordpack.b.x"}) == {"recordpack.b.x"}
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import recordpack.c\n"
    (tmp_path / "b.py").write_text(guarded)
    assert runtime_imports(tmp_path / "b.py") == set()


@pytest.mark.slow
def test_each_module_imports_alone():
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('recordpack')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    names = [n for n in modules() if not n.endswith("__main__")]
    run = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_functions_are_short():
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


MAX_COMMAND_STATEMENTS = 12  # a command reads its flags, calls the library and reports: no more


def test_commands_are_thin():
    """A command's body (its docstring aside) stays short: the work is in the library.

    Counted in statements, not lines: the formatter lays a call with many arguments out one
    argument a line, which makes a command no thicker.
    """
    thick = []
    for node in ast.parse((SRC / "cli.py").read_text()).body:
        if isinstance(node, ast.FunctionDef) and any(
            "command" in ast.unparse(d) for d in node.decorator_list
        ):
            body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
            statements = sum(isinstance(n, ast.stmt) for b in body for n in ast.walk(b))
            if statements > MAX_COMMAND_STATEMENTS:
                thick.append(f"{node.name}: {statements} statements")
    assert thick == []


def test_each_module_has_its_own_test_file():
    tests = Path(__file__).parent
    missing = []
    for name in modules():
        if name.endswith("__main__"):
            continue
        stem = "_".join(name.split(".")[1:]) or "recordpack"
        if not (tests / f"test_{stem}.py").is_file():
            missing.append(f"{name} -> tests/test_{stem}.py")
    assert missing == []


def test_the_pipeline_reads_top_down():
    """build_packet names the stages in order, each once."""
    source = (SRC / "pipeline.py").read_text()
    body = source[source.index("def build_packet(") :]
    stages = [
        "read_folder(",
        "understand(",
        "build_timeline(",
        "check_records(",
        "lay_out(",
        "assemble(",
        "write_bundle(",
    ]
    positions = [body.index(stage) for stage in stages]
    assert positions == sorted(positions)
