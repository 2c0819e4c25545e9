"""``parledger`` as a client: a real server (``parledger serve``, seeded with the demo) in
one process, the command line in another, as an administrator or a script would use it.
Also the same generated commands on a local store, without a server."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cli.remote import RemoteError, RemoteLedger
from ledger.core.crypto import SigningKey
from ledger.transparency.cosignature import Cosigner
from projections.read_models.trace import TRACE_COLUMNS

SCRIPT = Path(sys.executable).parent / "parledger"
TIMEOUT = 180
START_TIMEOUT = 180
MILESTONES = (
    "self_assessment_opens",
    "self_assessment_closes",
    "preliminary_appraisal_closes",
    "explanation_closes",
    "final_appraisal_closes",
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEDGER_")}
    env.update(COLUMNS="200", PYTHONIOENCODING="utf-8", **(extra or {}))
    return env


def parledger(
    cwd: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=_env(extra_env),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, output(result)
    assert "Traceback" not in output(result), output(result)
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, output(result)
    assert "Traceback" not in output(result), output(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error"), result.stderr
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def schedule_around_now() -> str:
    """A schedule whose self-assessment is open now, by the real clock (the server's)."""
    now = datetime.now(UTC).replace(microsecond=0)
    offsets = (-1, 10, 20, 30, 40)
    return json.dumps(
        {
            name: (now + timedelta(days=days)).isoformat()
            for name, days in zip(MILESTONES, offsets, strict=True)
        }
    )


def leaf(view: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [i for i in view["leaves"] if i["code"] == code]
    assert found, f"no leaf {code}"
    return found[0]


WITNESS = "thanhtra.hanoi.example.vn"


@dataclass(frozen=True)
class Server:
    url: str
    folder: Path
    admin: Path
    witness_key: Path
    witness: str

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return parledger(self.folder, *args)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``parledger serve`` on a free port, on its own SQLite store, seeded with the demo."""
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    folder = tmp_path_factory.mktemp("served")
    witness_key = folder / "witness.key"
    key = SigningKey.generate()
    key.save(witness_key)
    witness = Cosigner(WITNESS, key).verifier_string()
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", str(port)],
        cwd=folder,
        env=_env(
            {
                "PARLEDGER_DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
                "PARLEDGER_HOME": str(folder / "home"),
                "PARLEDGER_WITNESSES": witness,
                "PARLEDGER_CHECKPOINT_INTERVAL_SECONDS": "0.5",
            }
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {(folder / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server is not ready: {(folder / 'server.log').read_text()}")
            time.sleep(0.3)
        yield Server(url, folder, folder / "home" / "keys" / "admin.key", witness_key, witness)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass(frozen=True)
class World:
    server: Server
    staff: Path
    campaign: str
    unit: str
    units_csv: Path


@pytest.fixture(scope="module")
def world(server: Server) -> World:
    """Through the command line only: units from CSV, a key for a Hai Phong staff member,
    a campaign open now, a self-score, and an evidence file."""
    folder, url, admin = server.folder, server.url, str(server.admin)
    units_csv = folder / "units.csv"
    units_csv.write_text(
        "code,name,kind,parent,ranking_group\n"
        "HP-SNV,Sở Nội vụ Hải Phòng,department,HP,\n"  # its parent comes later in the file
        "HP,Thành phố Hải Phòng,province,,\n"
        "HN,UBND Thành phố Hà Nội,province,,\n",  # the demo registered it already
        encoding="utf-8",
    )
    imported = ok(server.cli("import-units", str(units_csv), "--key", admin, "--server", url))
    assert "2 unit(s) registered" in imported, imported
    assert "1 already registered" in imported, imported

    ok(server.cli("keys", "new", "staff.key"))
    enrolled = ok(
        server.cli(
            "cmd",
            "enrol-key",
            "--public-key",
            "staff.pub",
            "--name",
            "Cán bộ đầu mối — Hải Phòng",
            "--roles",
            '[{"role": "unit_staff", "scope": ["HP"]}]',
            "--key",
            admin,
            "--server",
            url,
        )
    )
    assert "recorded KeyEnrolled" in enrolled

    created = json.loads(
        ok(
            server.cli(
                "cmd",
                "create-campaign",
                "--code",
                "HP-NOW",
                "--year",
                str(datetime.now(UTC).year),
                "--title",
                "Chỉ số CCHC — Hải Phòng",
                "--indicator-set",
                "HN-PAR",
                "--indicator-set-version",
                "1",
                "--units",
                '["HP"]',
                "--schedule",
                schedule_around_now(),
                "--key",
                admin,
                "--server",
                url,
                "--format",
                "json",
            )
        )
    )
    assert created["event_type"] == "CampaignCreated"
    assert created["position"] > 0

    scored = ok(
        server.cli(
            "cmd",
            "record-self-score",
            "--campaign",
            "HP-NOW",
            "--unit",
            "HP",
            "--criterion",
            "1.1",
            "--inputs",
            '{"points": "1.5"}',
            "--explanation",
            "Kế hoạch CCHC năm nay đã ban hành và thực hiện đủ.",
            "--key",
            "staff.key",
            "--server",
            url,
        )
    )
    assert scored.startswith("recorded SelfScoreRecorded as log leaf "), scored

    (folder / "ke-hoach.pdf").write_bytes(PDF)
    attached = ok(
        server.cli(
            "cmd",
            "attach-evidence",
            "--campaign",
            "HP-NOW",
            "--unit",
            "HP",
            "--criterion",
            "1.1",
            "--file",
            "ke-hoach.pdf",
            "--key",
            "staff.key",
            "--server",
            url,
        )
    )
    assert attached.startswith("recorded EvidenceAttached"), attached
    return World(server, folder / "staff.key", "HP-NOW", "HP", units_csv)


# -- what the commands recorded, read back over HTTP ---------------------------------------


def test_scorecard_over_http_shows_the_self_score_and_the_evidence(world: World) -> None:
    server = world.server
    view = json.loads(
        ok(
            server.cli(
                "scorecard",
                "--campaign",
                world.campaign,
                "--unit",
                world.unit,
                "--server",
                server.url,
                "--key",
                str(world.staff),
                "--format",
                "json",
            )
        )
    )
    assert (view["campaign"], view["unit"]) == ("HP-NOW", "HP")
    scored = leaf(view, "1.1")
    assert Decimal(scored["self_score"]["points"]) == Decimal("1.5")
    assert scored["self_score"]["explanation"].startswith("Kế hoạch CCHC")
    files = scored["evidence"]["files"]
    assert [(f["file_name"], f["media_type"], f["size"]) for f in files] == [
        ("ke-hoach.pdf", "application/pdf", len(PDF))
    ]

    table = ok(
        server.cli(
            "scorecard",
            "--campaign",
            world.campaign,
            "--unit",
            world.unit,
            "--server",
            server.url,
            "--key",
            str(world.staff),
        )
    )
    assert "Thành phố Hải Phòng" in table
    assert "Thực hiện Kế hoạch CCHC" in table


def test_trace_over_http_as_json_and_csv(world: World) -> None:
    server = world.server
    common = ("--campaign", world.campaign, "--server", server.url, "--key", str(server.admin))
    rows = json.loads(ok(server.cli("trace", *common, "--format", "json")))
    events = [(r["unit"], r["criterion"], r["event_type"]) for r in rows]
    assert ("HP", "1.1", "SelfScoreRecorded") in events
    assert ("HP", "1.1", "EvidenceAttached") in events
    self_score = next(r for r in rows if r["event_type"] == "SelfScoreRecorded")
    assert self_score["name"] == "Cán bộ đầu mối — Hải Phòng"
    assert self_score["to_points"] == "1.5"

    text = ok(server.cli("trace", *common, "--criterion", "1.1", "--format", "csv"))
    assert text.startswith("\ufeff")
    assert text.count("\ufeff") == 1
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(table[0]) == TRACE_COLUMNS
    assert [row[table[0].index("event_type")] for row in table[1:]] == [
        "SelfScoreRecorded",
        "EvidenceAttached",
    ]


def test_units_campaigns_and_keys_over_http(world: World) -> None:
    server = world.server
    login = ("--server", server.url, "--key", str(server.admin))
    units = {u["code"]: u for u in json.loads(ok(server.cli("units", *login, "--format", "json")))}
    assert units["HP-SNV"]["parent"] == "HP"
    assert units["HP"]["kind"] == "province"
    assert {"HN", "HK", "BD", "SNV"} <= set(units)

    text = ok(server.cli("units", *login, "--format", "csv"))
    assert text.splitlines()[0] == "\ufeffcode,name,kind,parent,ranking_group"
    assert "HP-SNV,Sở Nội vụ Hải Phòng,department,HP,department" in text.splitlines()

    assert "Thành phố Hải Phòng" in ok(server.cli("units", *login))

    campaigns = json.loads(ok(server.cli("campaigns", *login, "--format", "json")))
    assert {"HN-2022", "HN-SH-2023", "HP-NOW"} <= {c["code"] for c in campaigns}

    keys = ok(server.cli("keys", "list", *login, "--format", "csv"))
    assert "Cán bộ đầu mối — Hải Phòng" in keys
    assert "unit_staff:HP" in keys


def test_the_finalised_ranking_is_public(server: Server) -> None:
    rows = json.loads(
        ok(
            server.cli(
                "ranking", "--campaign", "HN-SH-2023", "--server", server.url, "--format", "json"
            )
        )
    )
    assert {r["unit"] for r in rows} == {"SNV", "STP", "STC", "HK", "BD"}
    assert all(r["rank"] >= 1 for r in rows)
    assert "Hoàn Kiếm" in ok(
        server.cli("ranking", "--campaign", "HN-SH-2023", "--server", server.url)
    )


def test_the_ranking_of_an_open_campaign_needs_a_key(world: World) -> None:
    server = world.server
    line = one_line_error(
        server.cli("ranking", "--campaign", world.campaign, "--server", server.url)
    )
    assert "token_missing" in line
    assert "--key" in line


def test_progress_and_gaps_over_http(world: World) -> None:
    server = world.server
    login = ("--server", server.url, "--key", str(server.admin))
    report = json.loads(
        ok(server.cli("progress", "--campaign", world.campaign, *login, "--format", "json"))
    )
    assert report["phase"] == "self_assessment"
    assert [u["unit"] for u in report["units"]] == ["HP"]
    assert report["units"][0]["scored"] == 1
    gaps = json.loads(
        ok(
            server.cli(
                "gaps", "--campaign", "HN-SH-2023", "--unit", "HK", *login, "--format", "json"
            )
        )
    )
    assert gaps["agencies"]


def test_importing_the_units_again_skips_them_all(world: World) -> None:
    server = world.server
    again = ok(
        server.cli(
            "import-units", str(world.units_csv), "--key", str(server.admin), "--server", server.url
        )
    )
    assert "0 unit(s) registered" in again
    assert "3 already registered" in again


# -- bad input: one line, non-zero ---------------------------------------------------------


def _self_score(world: World, *extra: str, inputs: str = '{"points": "1"}') -> list[str]:
    return [
        "cmd",
        "record-self-score",
        "--campaign",
        world.campaign,
        "--unit",
        world.unit,
        "--criterion",
        "1.1",
        "--inputs",
        inputs,
        *extra,
    ]


def test_a_missing_key_file_is_a_one_line_error(world: World) -> None:
    server = world.server
    line = one_line_error(
        server.cli(*_self_score(world, "--key", "no-such.key", "--server", server.url))
    )
    assert "no-such.key does not exist" in line


def test_a_file_that_is_not_a_key_is_a_one_line_error(world: World) -> None:
    server = world.server
    not_a_key = server.folder / "not-a.key"
    not_a_key.write_text("hello\n")
    not_a_key.chmod(0o600)
    line = one_line_error(
        server.cli(*_self_score(world, "--key", str(not_a_key), "--server", server.url))
    )
    assert "is not a PEM private key" in line


def test_a_key_the_server_does_not_know_is_refused(world: World) -> None:
    server = world.server
    ok(server.cli("keys", "new", "stranger.key"))
    line = one_line_error(
        server.cli(*_self_score(world, "--key", "stranger.key", "--server", server.url))
    )
    assert "(unknown_key)" in line


def test_a_refused_command_names_the_problem(world: World) -> None:
    server = world.server
    result = server.cli(
        *_self_score(
            world, "--key", str(world.staff), "--server", server.url, inputs='{"points": "9"}'
        )
    )
    line = one_line_error(result)
    assert "(above_maximum)" in line
    assert "1.1" in line
    out_of_scope = one_line_error(
        server.cli(
            "cmd",
            "record-self-score",
            "--campaign",
            "HN-2022",
            "--unit",
            "HN",
            "--criterion",
            "1.1",
            "--inputs",
            '{"points": "1"}',
            "--key",
            str(world.staff),
            "--server",
            server.url,
        )
    )
    assert "(out_of_scope)" in out_of_scope


def test_bad_json_is_a_one_line_error(world: World) -> None:
    server = world.server
    line = one_line_error(
        server.cli(
            *_self_score(world, "--key", str(world.staff), "--server", server.url, inputs="{points")
        )
    )
    assert "--inputs is not valid JSON" in line


def test_a_file_that_is_not_evidence_is_refused(world: World) -> None:
    server = world.server
    (server.folder / "notes.txt").write_text("just text\n")
    line = one_line_error(
        server.cli(
            "cmd",
            "attach-evidence",
            "--campaign",
            world.campaign,
            "--unit",
            world.unit,
            "--criterion",
            "1.1",
            "--file",
            "notes.txt",
            "--key",
            str(world.staff),
            "--server",
            server.url,
        )
    )
    assert "(unsupported_media_type)" in line


def test_a_bad_csv_row_names_its_line(world: World) -> None:
    server = world.server
    bad = server.folder / "bad-units.csv"
    bad.write_text("code,name,kind\nHD,Hải Dương,province\nQN,Quảng Ninh,Province\n")
    line = one_line_error(
        server.cli("import-units", str(bad), "--key", str(server.admin), "--server", server.url)
    )
    assert "line 3" in line
    assert "kind" in line
    units = json.loads(
        ok(
            server.cli(
                "units", "--server", server.url, "--key", str(server.admin), "--format", "json"
            )
        )
    )
    assert "HD" not in {u["code"] for u in units}, "nothing is sent when a row is bad"


def test_a_read_from_a_server_without_a_key_is_a_one_line_error(server: Server) -> None:
    line = one_line_error(server.cli("units", "--server", server.url))
    assert "--key" in line


def test_an_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    key = tmp_path / "k.key"
    ok(parledger(tmp_path, "keys", "new", str(key)))
    line = one_line_error(
        parledger(
            tmp_path,
            "cmd",
            "record-self-score",
            "--campaign",
            "C",
            "--unit",
            "U",
            "--criterion",
            "1.1",
            "--inputs",
            '{"points": "1"}',
            "--key",
            str(key),
            "--server",
            f"http://127.0.0.1:{port}",
        )
    )
    assert f"cannot reach the server at http://127.0.0.1:{port}" in line
    read = one_line_error(
        parledger(
            tmp_path,
            "units",
            "--key",
            str(key),
            extra_env={"PARLEDGER_SERVER": f"http://127.0.0.1:{port}"},
        )
    )
    assert "cannot reach the server" in read


# -- the same commands on a local store ----------------------------------------------------


def test_the_generated_commands_act_on_a_local_store(tmp_path: Path) -> None:
    admin = "var/keys/admin.key"
    ok(parledger(tmp_path, "init"))
    plan = Path(str(resources.files("ledger").joinpath("data/hanoi_par_2022_plan.csv")))
    ok(
        parledger(
            tmp_path,
            "import-indicator-set",
            str(plan),
            "--key",
            admin,
            "--code",
            "P",
            "--title",
            "Bộ chỉ số",
            "--partial",
            "7.1",
            "--partial",
            "7.2",
            "--applies-to",
            "province",
        )
    )
    unit = ("--code", "HP", "--name", "Hải Phòng", "--kind", "province")
    ok(parledger(tmp_path, "register-unit", *unit, "--key", admin))
    ok(parledger(tmp_path, "keys", "new", "staff.key"))
    ok(
        parledger(
            tmp_path,
            "cmd",
            "enrol-key",
            "--public-key",
            "staff.pub",
            "--name",
            "Staff",
            "--roles",
            '[{"role": "unit_staff", "scope": ["HP"]}]',
            "--key",
            admin,
        )
    )
    (tmp_path / "schedule.json").write_text(schedule_around_now())
    ok(
        parledger(
            tmp_path,
            "cmd",
            "create-campaign",
            "--code",
            "HP-LOCAL",
            "--year",
            "2026",
            "--title",
            "Local",
            "--indicator-set",
            "P",
            "--indicator-set-version",
            "1",
            "--units",
            '["HP"]',
            "--schedule",
            "@schedule.json",
            "--key",
            admin,
        )
    )
    scored = ok(
        parledger(
            tmp_path,
            "cmd",
            "record-self-score",
            "--campaign",
            "HP-LOCAL",
            "--unit",
            "HP",
            "--criterion",
            "1.1",
            "--inputs",
            '{"points": "1"}',
            "--key",
            "staff.key",
        )
    )
    assert scored.startswith("recorded SelfScoreRecorded"), scored
    (tmp_path / "plan.pdf").write_bytes(PDF)
    ok(
        parledger(
            tmp_path,
            "cmd",
            "attach-evidence",
            "--campaign",
            "HP-LOCAL",
            "--unit",
            "HP",
            "--criterion",
            "1.1",
            "--file",
            "plan.pdf",
            "--key",
            "staff.key",
        )
    )

    view = json.loads(
        ok(
            parledger(
                tmp_path, "scorecard", "--campaign", "HP-LOCAL", "--unit", "HP", "--format", "json"
            )
        )
    )
    scored_leaf = leaf(view, "1.1")
    assert scored_leaf["self_score"]["points"] == "1"
    assert [f["file_name"] for f in scored_leaf["evidence"]["files"]] == ["plan.pdf"]
    assert "ok:" in ok(parledger(tmp_path, "verify"))
    units = ok(parledger(tmp_path, "units", "--format", "csv"))
    assert units.splitlines() == [
        "\ufeffcode,name,kind,parent,ranking_group",
        "HP,Hải Phòng,province,,province",
    ]


# -- the client's error handling, without a server -----------------------------------------


def test_the_client_turns_a_problem_into_one_line() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        problem = {"code": "nonce_reused", "detail": "the nonce\nwas used"}
        return httpx.Response(409, json={"type": "urn:parledger:problem:nonce_reused", **problem})

    remote = RemoteLedger("http://ledger.test", transport=httpx.MockTransport(answer))
    with remote, pytest.raises(RemoteError) as caught:
        remote.send({"command": {}, "signature": ""})
    assert caught.value.code == "nonce_reused"
    assert caught.value.message == "the nonce was used"
    assert caught.value.status == 409


def test_the_client_names_a_server_that_is_not_parledger() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    remote = RemoteLedger("http://ledger.test/", transport=httpx.MockTransport(answer))
    with remote, pytest.raises(RemoteError) as caught:
        remote.ledger_name()
    assert caught.value.code == "http_502"
    assert "HTTP 502" in caught.value.message


def test_a_server_url_must_be_http() -> None:
    with pytest.raises(RemoteError) as caught:
        RemoteLedger("ftp://ledger.test")
    assert caught.value.code == "bad_server_url"


# -- publication, bundles and witnesses, against the live server ----------------------------


def test_the_published_results_and_their_bundle_check_out_offline(server: Server) -> None:
    url = server.url
    table = json.loads(
        ok(server.cli("results", "--campaign", "HN-SH-2023", "--server", url, "--format", "json"))
    )
    assert [row["unit"] for row in table["units"]] == ["SNV", "STC", "STP", "HK", "BD"] or len(
        table["units"]
    ) == 5
    log_key = ok(server.cli("log-key", "--server", url)).strip()
    ok(server.cli("bundle", "--campaign", "HN-SH-2023", "-o", "served.bundle", "--server", url))
    verified = ok(server.cli("verify-bundle", "served.bundle", "--log-key", log_key))
    assert "exactly the published table" in verified


def test_publishing_unchanged_results_again_is_a_one_line_error(server: Server) -> None:
    publisher = server.folder / "home" / "keys" / "publisher.key"
    line = one_line_error(
        server.cli(
            "publish",
            "--campaign",
            "HN-SH-2023",
            "--key",
            str(publisher),
            "--server",
            server.url,
            "--yes",
        )
    )
    assert "already_published" in line
    # without --yes, a script is asked to say so, and nothing is published
    asked = one_line_error(
        server.cli(
            "publish", "--campaign", "HN-SH-2023", "--key", str(publisher), "--server", server.url
        )
    )
    assert "--yes" in asked


def _checkpoint_size(url: str) -> int:
    return int(httpx.get(f"{url}/v1/log/checkpoint", timeout=10).text.split("\n")[1])


def test_a_witness_cosigns_only_checkpoints_that_extend_what_it_saw(server: Server) -> None:
    url, log_key = server.url, ok(server.cli("log-key", "--server", server.url)).strip()
    cosign = (
        "witness",
        "cosign",
        "--key",
        str(server.witness_key),
        "--name",
        WITNESS,
        "--server",
        url,
        "--log-key",
        log_key,
        "--state",
        "witness.json",
    )
    first = ok(server.cli(*cosign))
    assert f"of {WITNESS.split('.')[0]}" not in first
    assert "cosigned the checkpoint of" in first
    note = httpx.get(f"{url}/v1/log/checkpoint", timeout=10).text
    assert f"\u2014 {WITNESS} " in note

    # the log grows; the next checkpoint extends the one cosigned, proved by consistency
    before = _checkpoint_size(url)
    ok(server.cli("keys", "new", "witnessed.key"))
    ok(
        server.cli(
            "cmd",
            "enrol-key",
            "--public-key",
            "witnessed.pub",
            "--name",
            "Thanh tra",
            "--roles",
            '[{"role": "inspector", "scope": []}]',
            "--key",
            str(server.admin),
            "--server",
            url,
        )
    )
    deadline = time.monotonic() + 30
    while _checkpoint_size(url) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _checkpoint_size(url) > before
    ok(server.cli(*cosign))

    # the bundle carries the cosignature, and a verifier can require it
    ok(server.cli("bundle", "--campaign", "HN-SH-2023", "-o", "cosigned.bundle", "--server", url))
    verified = ok(
        server.cli(
            "verify-bundle", "cosigned.bundle", "--log-key", log_key, "--witness", server.witness
        )
    )
    assert f"the witness {WITNESS} cosigned the checkpoint" in verified
    other = Cosigner(WITNESS, SigningKey.generate()).verifier_string()
    refused = server.cli(
        "verify-bundle", "cosigned.bundle", "--log-key", log_key, "--witness", other
    )
    assert refused.returncode == 1, output(refused)
    assert "no valid cosignature by the witness" in refused.stderr

    # a log showing the witness a history other than the one it cosigned is refused
    state = json.loads((server.folder / "witness.json").read_text())
    state["root"] = base64.b64encode(b"\x00" * 32).decode()
    (server.folder / "witness.json").write_text(json.dumps(state))
    alert = server.cli(*cosign)
    assert alert.returncode == 2, output(alert)
    assert "ALERT" in alert.stderr
    assert "rewrote its history" in alert.stderr


def test_export_from_a_server(server: Server) -> None:
    """The annex of a published campaign needs no key; a unit's document does."""
    annex = server.folder / "annex.xlsx"
    ok(
        server.cli(
            "export",
            "results-annex",
            "--campaign",
            "HN-SH-2023",
            "-o",
            str(annex),
            "--server",
            server.url,
        )
    )
    assert annex.read_bytes().startswith(b"PK\x03\x04")
    sheet = server.folder / "sheet.pdf"
    refused = server.cli(
        "export",
        "scoring-sheet",
        "--campaign",
        "HN-SH-2023",
        "--unit",
        "HK",
        "-o",
        str(sheet),
        "--server",
        server.url,
    )
    assert refused.returncode != 0
    assert "--key" in refused.stderr
    ok(
        server.cli(
            "export",
            "scoring-sheet",
            "--campaign",
            "HN-SH-2023",
            "--unit",
            "HK",
            "-o",
            str(sheet),
            "--server",
            server.url,
            "--key",
            str(server.admin),
        )
    )
    assert sheet.read_bytes().startswith(b"%PDF-")
