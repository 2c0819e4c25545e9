"""The transparency log as a projection: leaves, stored subtrees, proofs and checkpoints."""
