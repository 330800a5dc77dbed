"""Figures of the package's import structure, for the review of a restructuring.

    .venv/bin/python scripts/import_graph.py

Prints the number of imports of casustafel made inside functions, the largest import cycle
(every import statement counts, also one inside a function: it is a dependency all the same)
with its modules, and the modules over 400 lines.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "casustafel"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.AST, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from package import module` depends on the module; `from module import name` on the module
            names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module
                     for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def function_level_imports(tree: ast.AST) -> int:
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                module = inner.module if isinstance(inner, ast.ImportFrom) else (
                    inner.names[0].name if isinstance(inner, ast.Import) else None)
                if module and module.startswith("casustafel"):
                    count += 1
    return count


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index, low, on_stack, stack, result, counter = {}, {}, set(), [], [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(sorted(component))
    return result


def main() -> int:
    files = sorted(PACKAGE.rglob("*.py"))
    trees = {module_name(p): ast.parse(p.read_text()) for p in files}
    known = set(trees)
    graph = {name: imports(tree, known) - {name} for name, tree in trees.items()}
    cycles = sorted((c for c in strongly_connected(graph) if len(c) > 1), key=len, reverse=True)
    largest = cycles[0] if cycles else []
    print(f"imports of casustafel inside functions: {sum(function_level_imports(t) for t in trees.values())}")
    print(f"largest import cycle: {len(largest)} modules" + (f": {', '.join(largest)}" if largest else ""))
    print(f"import cycles: {len(cycles)}")
    long = [(p.relative_to(ROOT).as_posix(), n) for p in files if (n := len(p.read_text().splitlines())) > 400]
    print("modules over 400 lines: " + (", ".join(f"{p} ({n})" for p, n in long) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
