"""Evidence types, told by content and never by file name: PDF, PNG, JPEG, and the
office formats DOCX, XLSX, ODT and ODS (ZIP containers with a known inner layout)."""

from __future__ import annotations

import zipfile
from pathlib import Path

ALLOWED = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
}


ODF_TYPES = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)
# an ODF mimetype entry is a short line; a longer one is not read (nor decompressed) further
MIMETYPE_LIMIT = 100


def sniff(path: Path) -> str | None:
    """The media type of the file's content, if it is one of the allowed kinds. A file that
    cannot be read as its kind (a crafted or damaged container, an encrypted entry, an
    unknown compression method, a corrupt stream) is of no allowed kind."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            return _office(path)
        except Exception:  # whatever the ZIP reader raises on crafted input
            return None
    return None


def _office(path: Path) -> str | None:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "mimetype" in names:
            with archive.open("mimetype") as entry:
                declared = entry.read(MIMETYPE_LIMIT).decode("ascii", "replace").strip()
            if declared in ODF_TYPES:
                return declared
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if "xl/workbook.xml" in names:
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None
