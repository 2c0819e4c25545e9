"""parledger's write side and its verifier: ``core`` (bytes, keys, envelopes), ``domain``
(aggregates and rules), ``application`` (the ledger service), ``transparency`` (Merkle tree,
signed notes), ``audit`` (event checks, replay, bundles) and ``demo``."""
