"""The ledger's core: canonical JSON, Ed25519 keys, signed command envelopes, the canonical
form of events, deterministic aggregate ids, errors and the clock. Imports nothing else of
the project."""
