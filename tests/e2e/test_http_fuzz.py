"""Property-based fuzzing of every endpoint of the OpenAPI schema with schemathesis, with
valid and invalid input, without a token and with a valid bearer token: the service
never answers 5xx, every 4xx is a problem document with a code and a detail, no answer
carries a Python traceback, and afterwards the ledger still verifies."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from api.bootstrap import open_runtime
from api.http.app import create_app
from ledger.application.service import stored_events
from ledger.application.settings import Settings
from ledger.audit.event_checks import verify_events
from ledger.core.ids import scorecard_id
from tests.e2e.http_support import PDF, is_problem, make_settings, running
from tests.integration.test_survey_ledger import DEFINITION as SURVEY
from tests.world import SMALL_SET, World, build_world, publication_steps, schedule

MAX_EXAMPLES = 20
SIGNED_EXAMPLES = 300
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


def _constrained(schema: dict[str, Any]) -> bool:
    """Whether some value breaks the schema (a plain string, or nothing, takes anything)."""
    if "anyOf" in schema:
        return all(_constrained(s) for s in schema["anyOf"] if s.get("type") != "null")
    return schema.get("type") != "string" or len(set(schema) - {"type", "title"}) > 0


def _operations() -> list[tuple[str, str, bool]]:
    """Every operation of the schema, read from the app without starting it, and whether
    it takes input that can be invalid (a body, or a constrained parameter)."""
    app = create_app(make_settings("sqlite:///unused.sqlite3", Path("unused")))
    return sorted(
        (
            method.upper(),
            path,
            "requestBody" in operation
            or any(_constrained(p["schema"]) for p in operation.get("parameters", [])),
        )
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    )


OPERATIONS = _operations()
CASES = [
    pytest.param(method, path, mode, id=f"{mode.value} {method} {path}")
    for method, path, negatable in OPERATIONS
    for mode in GenerationMode
    if negatable or mode is GenerationMode.POSITIVE
]


@dataclass
class Fuzz:
    schema: Any
    settings: Settings
    world: World
    token: str
    position: int
    real: dict[str, str]


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    folder = tmp_path_factory.mktemp("fuzz")
    home = folder / "home"
    database_url = f"sqlite:///{folder}/ledger.sqlite3"
    world = build_world(database_url, home)
    world.server.save(home / "keys" / "server.key")
    world.ledger.close()
    world.clock.advance(timedelta(days=1))
    service_settings = make_settings(database_url, home)
    staff = world.keys["staff"]
    with running(service_settings, world.clock, world.admin, world.server) as api:
        evidence = api.upload(staff, PDF)
        keys = {
            **world.keys,
            "admin": world.admin,
            "secretariat": api.enrol("secretariat", [{"role": "secretariat", "scope": []}]),
            "publisher": api.enrol("publisher", [{"role": "publisher", "scope": []}]),
        }
        api.ok(keys["survey"], "define_survey", SURVEY)
        for role, command_type, args in publication_steps("P2022", world.clock.now()):
            if command_type == "publish_results":
                preview = api.read("/v1/campaigns/P2022/results/preview", keys[role])
                args = {**args, "table_sha256": preview["table_sha256"]}
            api.ok(keys[role], command_type, args)
        position = api.position()
    # schemathesis runs the app's lifespan itself (one service for every case)
    app = create_app(service_settings, clock=world.clock)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # a token lasts token_ttl_seconds of the clock, which stands still while fuzzing
    with running(service_settings, world.clock, world.admin, world.server) as api:
        token = api.token(staff)
    real = {
        "code": "C2023",
        "unit": "D1",
        "sha256": evidence["sha256"],
        "version": "1",
        "index": "0",
        "aggregate_id": str(scorecard_id("C2023", "D1")),
        "kind": "appraisal-report",  # a unit is optional: random queries can reach it
    }
    try:
        yield Fuzz(schema, service_settings, world, token, position, real)
    finally:
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()


def check(response: Any) -> int:
    """The service's promises for any answer; the status."""
    content_type = (response.headers.get("content-type") or [""])[0]
    binary = ("application/gzip", "application/pdf", "application/vnd.openxmlformats")
    text = "" if content_type.startswith(binary) else response.text
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code < 500, (where, response.status_code, text[:500])
    assert "Traceback" not in text, where
    if 400 <= response.status_code < 500:
        assert content_type.startswith("application/problem+json"), (where, content_type)
        body = response.json()
        assert isinstance(body, dict), (where, text[:500])
        for member in ("code", "detail"):
            assert isinstance(body.get(member), str), (where, body)
            assert body[member], (where, body)
        assert body.get("status") == response.status_code, (where, body)
    return int(response.status_code)


def run_cases(fuzz: Fuzz, strategy: Any) -> Counter[tuple[bool, int]]:
    """Send every generated case without and with a token; (with token, status) counts."""
    auth = {"Authorization": f"Bearer {fuzz.token}"}
    seen: Counter[tuple[bool, int]] = Counter()

    @FUZZ
    @given(case=strategy)
    def run(case: Any) -> None:
        for headers in (None, auth):
            seen[headers is not None, check(case.call(headers=headers))] += 1

    run()
    return seen


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_input_breaks_the_service(
    fuzz: Fuzz, method: str, path: str, mode: GenerationMode
) -> None:
    operation = fuzz.schema[path][method]
    seen = run_cases(fuzz, operation.as_strategy(generation_mode=mode))
    if mode is GenerationMode.NEGATIVE:
        assert any(400 <= status < 500 for _, status in seen), seen


PUBLISHED = ("/bundle", "/results", "/publications")
# the reads (an upload of a file to check is fuzzed by test_no_input_breaks_the_service)
PATHS_WITH_PARAMETERS = [(m, p) for m, p, _ in OPERATIONS if "{" in p and m.lower() == "get"]


@pytest.mark.parametrize(
    ("method", "path"), PATHS_WITH_PARAMETERS, ids=[f"{m} {p}" for m, p in PATHS_WITH_PARAMETERS]
)
def test_random_queries_on_real_records_break_nothing(fuzz: Fuzz, method: str, path: str) -> None:
    """Path parameters naming records that exist, so that the queries reach the reads."""
    operation = fuzz.schema[path][method]
    names = [name.strip("{}") for name in path.split("/") if name.startswith("{")]
    real = {name: fuzz.real[name] for name in names}
    if path.startswith("/v1/indicator-sets/"):
        real["code"] = "T-SET"
    public = path.startswith("/v1/log/") or path.endswith(PUBLISHED)
    if path.endswith(PUBLISHED):
        real["code"] = "P2022"  # the published campaign
    if path.startswith("/v1/surveys/"):
        real["code"] = SURVEY["code"]
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=real)
    seen = run_cases(fuzz, strategy)
    # with the token, the reads answered
    assert seen[True, 200] > 0, seen
    # without it, they were refused, but for the public transparency log and publications
    if not public:
        assert seen[False, 200] == 0, seen


def verified(fuzz: Fuzz) -> int:
    """Verify every stored event; their number."""
    ledger = open_runtime(fuzz.settings, clock=fuzz.world.clock, project=False).ledger
    try:
        report = verify_events(stored_events(ledger))
    finally:
        ledger.close()
    assert report.ok, report.problems
    return report.events


def test_the_ledger_still_verifies_and_nothing_was_recorded(fuzz: Fuzz) -> None:
    assert verified(fuzz) == fuzz.position


# -- signed commands with random arguments ---------------------------------------------------

INTERESTING = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1e3",
        "NaN",
        "Infinity",
        "0.0000001",
        "999999.999999",
        "1.1",
        "1.2",
        "2.1",
        "9.9",
        "1.rest",
        "1.1.1",
        "C2023",
        "D1",
        "D2",
        "S1",
        "T-SET",
        "district",
        "survey",
        "appraisal",
        "confirm",
        "revise",
        "../../etc/passwd",
        "\x00",
        "ω" * 300,
        "2023-01-12T00:00:00Z",
        "2023-02-30T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "Mars/Olympus",
    ]
)
LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.text(max_size=12),
    INTERESTING,
)
JSON = st.recursive(
    LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8) | INTERESTING, inner, max_size=4)
    ),
    max_leaves=8,
)
CARD = {"campaign": "C2023", "unit": "D1"}
TEMPLATES: dict[str, tuple[str, dict[str, Any]]] = {
    "enrol_key": (
        "admin",
        {"public_key": "", "name": "Người mới", "roles": [{"role": "inspector", "scope": []}]},
    ),
    "revoke_key": ("admin", {"key_id": "0" * 32, "reason": "x"}),
    "appoint_key": (
        "admin",
        {
            "key_id": "0" * 32,
            "roles": [{"role": "appraiser", "scope": ["1"], "authority": "D1", "year": 2024}],
        },
    ),
    "end_appointment": ("admin", {"key_id": "0" * 32, "appointment": 0, "reason": "x"}),
    "rotate_key": ("admin", {"key_id": "0" * 32, "new_public_key": "", "reason": "x"}),
    "register_unit": ("admin", {"code": "Z1", "name": "Mới", "kind": "district"}),
    "update_unit": ("admin", {"code": "D2", "name": "Đổi", "kind": "district"}),
    "define_indicator_set": ("admin", {**SMALL_SET, "version": 2}),
    "create_campaign": (
        "admin",
        {
            "code": "C-NEW",
            "year": 2024,
            "title": "Mới",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "units": ["D1"],
            "schedule": schedule(),
        },
    ),
    "record_self_score": ("staff", {**CARD, "criterion": "1.1", "inputs": {"points": "1"}}),
    "attach_evidence": (
        "staff",
        {
            **CARD,
            "criterion": "1.1",
            "sha256": "0" * 64,
            "size": 1,
            "file_name": "a.pdf",
            "media_type": "application/pdf",
        },
    ),
    "remove_evidence": ("staff", {**CARD, "criterion": "1.1", "sha256": "0" * 64}),
    "submit_self_assessment": ("head", dict(CARD)),
    "record_external_score": (
        "survey",
        {**CARD, "criterion": "2.1", "points": "1", "source": "survey", "source_document": "x"},
    ),
    "record_appraisal": ("appraiser", {**CARD, "criterion": "1.1", "inputs": {"points": "1"}}),
    "request_explanation": ("appraiser", {**CARD, "criterion": "1.1"}),
    "submit_explanation": ("staff", {**CARD, "criterion": "1.1", "explanation": "x"}),
    "record_final_appraisal": ("appraiser", {**CARD, "criterion": "1.1", "decision": "confirm"}),
    "accept_self_scores": ("secretariat", dict(CARD)),
    "record_adjustment": ("secretariat", {**CARD, "code": "T1", "points": "1", "reason": "x"}),
    "finalise_campaign": ("secretariat", {"campaign": "C2023"}),
    "correct_score": ("secretariat", {**CARD, "criterion": "1.1", "points": "1", "reason": "x"}),
    "record_targets": ("head", {**CARD, "year": 2024, "targets": {"1.1": "1"}}),
    "publish_results": ("publisher", {"campaign": "P2022", "table_sha256": "0" * 64}),
}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """A command type, its signer, and its valid arguments with something changed deep
    inside them: a member replaced by any JSON value, removed, or added."""
    command_type = draw(st.sampled_from(sorted(TEMPLATES)))
    signer, template = TEMPLATES[command_type]
    args = copy.deepcopy(template)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        holder: Any = args
        while True:
            children = list(holder.items()) if isinstance(holder, dict) else list(enumerate(holder))
            if not children:
                break
            name, value = draw(st.sampled_from(children))
            if isinstance(value, dict | list) and value and draw(st.booleans()):
                holder = value
                continue
            action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
            if action == "replace":
                holder[name] = draw(JSON)
            elif action == "remove" and isinstance(holder, dict):
                del holder[name]
            elif isinstance(holder, dict):
                holder[draw(st.text(min_size=1, max_size=8))] = draw(JSON)
            else:
                holder.append(draw(JSON))
            break
    return command_type, signer, args


def test_signed_commands_with_random_arguments_break_nothing(fuzz: Fuzz) -> None:
    """Commands that pass the signature and role checks, so that the arguments reach the
    schema checks and the domain rules."""
    with running(fuzz.settings, fuzz.world.clock, fuzz.world.admin, fuzz.world.server) as api:
        keys = {**fuzz.world.keys, "admin": fuzz.world.admin}
        keys["secretariat"] = api.enrol("secretariat", [{"role": "secretariat", "scope": []}])
        keys["publisher"] = api.enrol("publisher", [{"role": "publisher", "scope": []}])
        seen: Counter[int] = Counter()

        @settings(FUZZ, max_examples=SIGNED_EXAMPLES)
        @given(command=mutated())
        def run(command: tuple[str, str, dict[str, Any]]) -> None:
            command_type, signer, args = command
            response = api.send(keys[signer], command_type, args)
            assert response.status_code < 500, (command_type, args, response.text)
            assert "Traceback" not in response.text
            if response.status_code != 201:
                assert is_problem(response), (command_type, args, response.text)
            seen[response.status_code] += 1

        run()
        assert seen[422] > 0, seen
    verified(fuzz)
