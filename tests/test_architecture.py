"""The shape of the code, checked over its import graph (ast, no import runs).

Arrows point one way: web and cli → signin, accounts, messages, look, oidc,
delivery → models, extensions, config. No module imports itself back through
others (no cycle, function-level imports included), the domain never reads the
request or renders pages, and modules and functions stay small.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

DOMAIN = (
    "app.signin",
    "app.accounts",
    "app.messages",
    "app.look",
    "app.oidc",
    "app.delivery",
    "app.models",
    "app.config",
    "app.extensions",
    "app.limits",
    "app.i18n",
)
REQUEST_STATE = {"request", "session", "render_template", "render_template_string", "g"}

# Modules allowed to read the request, and why.
READS_REQUEST = {
    # Authlib's Flask integration reads the request it answers: the protocol adapter
    # (the one place that turns the current request into an OAuth2Request) lives here.
    "app.oidc.server": "Authlib's request adapter",
}

MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 50
# Longer on purpose, with the reason.
LONG_MODULES: dict[str, str] = {
    "app.accounts.clients": "the client registry and its URL rules read best together",
    "app.web.login": "the email, phone and code steps of one page; contexts in web/screens",
}
LONG_FUNCTIONS: dict[str, str] = {
    "app.signin.tickets.open_ticket": "one transaction: ticket, message and event together",
    "app.cli.clients.update_client_command": "18 of its lines are one parameter per option",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return skipped


def _imports(name: str) -> dict[str, set[str]]:
    """Module → names imported from it (plus "*" for a plain import), for one module."""
    tree = ast.parse(MODULES[name].read_text())
    skipped = _type_checking_nodes(tree)
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.setdefault(alias.name, set()).add("*")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.setdefault(base, set()).add(alias.name)
    return found


def _edges(name: str) -> set[str]:
    """The app modules `name` imports (a name imported from a package that is its
    submodule counts as that submodule)."""
    targets = set()
    for module, names in _imports(name).items():
        for imported in names:
            sub = f"{module}.{imported}"
            if sub in MODULES:
                targets.add(sub)
            elif module in MODULES:
                targets.add(module)
    targets.discard(name)
    return targets


GRAPH = {name: _edges(name) for name in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def _in_domain(name: str) -> bool:
    return any(name == d or name.startswith(d + ".") for d in DOMAIN)


def test_the_graph_sees_the_known_arrows():
    assert "app.signin.outcomes" in GRAPH["app.accounts.sessions"]
    assert "app.accounts.users" in GRAPH["app.signin.tickets"]
    assert "app.web" in GRAPH["app"]
    assert "app.web.login" in GRAPH["app.web"]


def test_no_import_cycle():
    assert _cycles() == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _in_domain(n)))
def test_the_domain_never_imports_the_web_layer(name):
    web = sorted(t for t in GRAPH[name] if t == "app.web" or t.startswith("app.web."))
    assert web == [], f"{name} imports {web}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _in_domain(n)))
def test_the_domain_never_reads_the_request(name):
    if name in READS_REQUEST:
        return
    imports = _imports(name)
    from_flask = sorted(imports.get("flask", set()) & REQUEST_STATE)
    assert from_flask == [], f"{name} imports flask.{from_flask}"
    tree = ast.parse(MODULES[name].read_text())
    attributes = sorted(
        {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
            and node.attr in REQUEST_STATE
        }
    )
    assert attributes == [], f"{name} uses flask.{attributes}"


def test_the_check_catches_a_request_import():
    tree = ast.parse("from flask import current_app, request\n")
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert names & REQUEST_STATE == {"request"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = len(MODULES[name].read_text().splitlines())
    if name in LONG_MODULES:
        return
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines"


def _long_functions() -> list[str]:
    found = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                qualified = f"{name}.{node.name}"
                if length > MAX_FUNCTION_LINES and qualified not in LONG_FUNCTIONS:
                    found.append(f"{qualified}: {length} lines")
    return sorted(found)


def test_functions_stay_small():
    assert _long_functions() == []


def test_the_exceptions_still_exist():
    for qualified in LONG_FUNCTIONS:
        module, _, function = qualified.rpartition(".")
        assert f"def {function}(" in MODULES[module].read_text(), qualified
    assert set(LONG_MODULES) <= set(MODULES)
