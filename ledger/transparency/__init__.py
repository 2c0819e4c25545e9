"""The transparency log's primitives: the RFC 9162 Merkle tree and C2SP signed notes,
checkpoints and cosignatures."""
