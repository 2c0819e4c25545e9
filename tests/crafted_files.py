"""Files of every allowed kind, and ZIP containers crafted to break a reader: an encrypted
``mimetype`` entry, an unknown compression method, a corrupt deflate stream."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types/>'
DOCX = _zip([("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", b"<w:document/>")])
XLSX = _zip([("[Content_Types].xml", CONTENT_TYPES), ("xl/workbook.xml", b"<workbook/>")])
ODT_TYPE = b"application/vnd.oasis.opendocument.text"
ODS_TYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODT = _zip([("mimetype", ODT_TYPE), ("content.xml", b"<office:document/>")], stored_first=True)
ODS = _zip([("mimetype", ODS_TYPE), ("content.xml", b"<office:document/>")], stored_first=True)

SEEDS = {
    "application/pdf": PDF,
    "image/png": png(),
    "image/jpeg": JPEG,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": XLSX,
    "application/vnd.oasis.opendocument.text": ODT,
    "application/vnd.oasis.opendocument.spreadsheet": ODS,
}


def _odt_deflated() -> bytes:
    return _zip([("mimetype", ODT_TYPE), ("content.xml", b"<x/>")])


def _patch_both_headers(data: bytes, offset_in_header: int, value: bytes) -> bytes:
    """Write ``value`` at the same field of the first local header and its central
    directory entry (flags at 6/8, method at 8/10)."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    central = out.index(b"PK\x01\x02")
    out[local + offset_in_header : local + offset_in_header + len(value)] = value
    shift = 2  # the central entry has "version made by" before the shared fields
    start = central + offset_in_header + shift
    out[start : start + len(value)] = value
    return bytes(out)


def encrypted_mimetype() -> bytes:
    """The ``mimetype`` entry flagged encrypted: reading it raises RuntimeError."""
    return _patch_both_headers(_odt_deflated(), 6, struct.pack("<H", 0x1))


def unknown_compression() -> bytes:
    """The ``mimetype`` entry with compression method 99: reading it raises
    NotImplementedError."""
    return _patch_both_headers(_odt_deflated(), 8, struct.pack("<H", 99))


def corrupt_deflate() -> bytes:
    """The ``mimetype`` entry's deflate stream overwritten with garbage: zlib.error."""
    data = bytearray(_odt_deflated())
    local = data.index(b"PK\x03\x04")
    name_length, extra_length = struct.unpack("<HH", data[local + 26 : local + 30])
    start = local + 30 + name_length + extra_length
    data[start : start + 4] = b"\xff\xff\xff\xff"
    return bytes(data)


CRAFTED = {
    "encrypted mimetype entry": (encrypted_mimetype(), RuntimeError),
    "unknown compression method": (unknown_compression(), NotImplementedError),
    "corrupt deflate stream": (corrupt_deflate(), zlib.error),
}
