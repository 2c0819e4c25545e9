"""The content sniffer tells each allowed kind by its content, and a file it cannot read as
its kind (crafted, damaged or truncated) is of no allowed kind: it never raises."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application.media import ALLOWED, sniff
from tests.crafted_files import CRAFTED, SEEDS

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sniffed(tmp_path: Path, data: bytes) -> str | None:
    path = tmp_path / "file"
    path.write_bytes(data)
    return sniff(path)


@pytest.mark.parametrize("media_type", sorted(SEEDS))
def test_each_allowed_kind_is_told_by_its_content(tmp_path: Path, media_type: str) -> None:
    assert sniffed(tmp_path, SEEDS[media_type]) == media_type


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_a_crafted_office_file_is_no_allowed_kind(tmp_path: Path, name: str) -> None:
    data, raised = CRAFTED[name]
    with pytest.raises(raised), zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.read("mimetype")  # what a plain reader does with it
    assert sniffed(tmp_path, data) is None


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """An allowed file with a few bytes flipped, replaced, inserted or cut away, or
    truncated: anywhere, or within the first ZIP headers where a reader's choices are."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if not data:
            break
        near_headers = data.startswith(b"PK") and draw(st.booleans())
        limit = min(len(data), 64) if near_headers else len(data)
        at = draw(st.integers(min_value=0, max_value=limit - 1))
        action = draw(st.sampled_from(["flip", "byte", "insert", "delete", "truncate"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif action == "byte":
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=16))]
        else:
            del data[at:]
    return bytes(data)


@FUZZ
@given(data=mutated())
def test_mutated_files_never_break_the_sniffer(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "file"
    path.write_bytes(data)
    assert sniff(path) in (None, *ALLOWED)


@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_after_a_zip_signature_never_break_the_sniffer(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "file"
    path.write_bytes(b"PK\x03\x04" + data)
    assert sniff(path) in (None, *ALLOWED)
