"""The tests themselves: each test module stands alone. What two share lives
in a helper module (processes.py, fidelity.py, ...), never in a test module
another imports, so running or removing one test file changes no other."""
import ast

from tests.paths import REPO


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another():
    imports = {path.relative_to(REPO): imported_modules(path)
               for path in (REPO / "tests").rglob("*.py")}
    offending = {str(path): sorted(m for m in modules if m.startswith("tests.")
                                   and m.rsplit(".", 1)[-1].startswith(("test_", "conftest")))
                 for path, modules in imports.items()}
    assert {path: mods for path, mods in offending.items() if mods} == {}
