"""Publication from the store: result tables at signed checkpoints, bundles, the log audit."""
