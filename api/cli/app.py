"""The ``parledger`` Typer applications that the command modules register onto."""

from __future__ import annotations

import typer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="parledger: a signed, verifiable ledger of PAR INDEX scoring.",
)
keys_app = typer.Typer(
    invoke_without_command=True,
    help="List enrolled keys; create, enrol, revoke and rotate Ed25519 keys.",
)
app.add_typer(keys_app, name="keys")
cmd_app = typer.Typer(
    no_args_is_help=True,
    help="""Sign one command of any type with --key FILE and send it to --server URL (or
    record it on the local store when no server is given).

    Arguments that are lists or objects are JSON (or @FILE to read the JSON from a file).
    A campaign, for example:

    parledger cmd create-campaign --code HP-2025 --year 2025 --title "PAR INDEX 2025"
    --indicator-set HN-PAR --indicator-set-version 1 --units '["HP"]' --schedule
    '{"self_assessment_opens": "2026-01-05T08:00:00+07:00", "self_assessment_closes":
    "2026-02-05T17:00:00+07:00", "preliminary_appraisal_closes": "2026-03-04T17:00:00+07:00",
    "explanation_closes": "2026-03-11T17:00:00+07:00", "final_appraisal_closes":
    "2026-03-25T17:00:00+07:00"}' --key admin.key --server https://par.example.vn
    """,
)
app.add_typer(cmd_app, name="cmd")
