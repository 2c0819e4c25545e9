"""Every refusal code the code base can answer with has a test that names it.

A refusal code is the ``code`` given to an error raised or defined in ``ledger``,
``projections`` or ``api`` (``SomeError(..., code="x")``, or a class's ``code = "x"``). A
test names it when a string ``"x"`` appears in a test module. This test fails when a new
code is added without one."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("ledger", "projections", "api")

# codes no input can produce: each says why (and must still exist in the code)
UNREACHABLE = {
    "ledger_error": "the base class's default; every refusal names its own code",
    "domain_rule": "DomainError's default; every domain refusal names its own code",
    "not_authorized": "AuthorizationError's default; every authorization refusal names its own",
    "no_tier": "a set whose tiers leave a percentage uncovered is refused when defined",
    "unknown_rule": "an unknown rule kind is refused when the set is defined",
    "server_error": "RemoteError's default; every remote refusal names its own code",
    "not_initialised": "a key-registry command is signed by an enrolled key, so the registry "
    "exists (before the genesis the signer is an unknown_key)",
    "upload_incomplete": "answered to a client that has gone; the behaviour (nothing kept, no "
    "traceback) is tested by test_an_upload_cut_short_is_noted_without_a_traceback",
}


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@cache
def refusal_codes() -> dict[str, list[str]]:
    """Each code, and where the code base gives it."""
    found: dict[str, list[str]] = {}
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = f"{path.relative_to(ROOT)}"
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                    if not name.endswith(("Error", "Problem")):
                        continue
                    for keyword in node.keywords:
                        code = _string(keyword.value) if keyword.arg == "code" else None
                        if code:
                            found.setdefault(code, []).append(f"{where}:{node.lineno}")
                elif isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Problem")):
                    for item in node.body:
                        if (
                            isinstance(item, ast.Assign | ast.AnnAssign)
                            and any(
                                getattr(t, "id", None) == "code"
                                for t in (
                                    item.targets if isinstance(item, ast.Assign) else [item.target]
                                )
                            )
                            and item.value is not None
                            and (code := _string(item.value))
                        ):
                            found.setdefault(code, []).append(f"{where}:{item.lineno}")
    return found


def strings_in_tests() -> set[str]:
    strings: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        if path.resolve() == Path(__file__).resolve():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (text := _string(node)) is not None:
                strings.add(text)
    return strings


def test_every_refusal_code_has_a_test() -> None:
    codes = refusal_codes()
    assert len(codes) > 50  # the scan finds the codes at all
    named = strings_in_tests()
    untested = {
        code: places
        for code, places in sorted(codes.items())
        if code not in UNREACHABLE and code not in named
    }
    assert not untested, f"refusal codes without a test: {untested}"


def test_the_unreachable_codes_still_exist() -> None:
    assert set(UNREACHABLE) <= set(refusal_codes())
