"""How the codes and identifiers that commands, paths and queries carry are written: one
pattern each, used by the command arguments, the indicator tree and the HTTP routes alike
(docs/FORMATS.md §1)."""

from __future__ import annotations

# a criterion or adjustment code: dotted segments of letters and digits, e.g. 2.4.1
CODE = r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$"
# a unit, campaign or indicator-set code: a letter or digit, then up to 63 letters,
# digits, '.', '_' or '-', e.g. HN-SH-2023
UNIT_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# a SHA-256 digest in lowercase hex
SHA256 = r"^[0-9a-f]{64}$"
# a key id: the first 16 bytes of SHA-256 over the public key, in lowercase hex
KEY_ID = r"^[0-9a-f]{32}$"
# an aggregate id: a UUID as Python writes it
AGGREGATE_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# a free-text name in a query (a ranking group): no control characters
NAME = r"^[^\x00-\x1f\x7f]+$"
