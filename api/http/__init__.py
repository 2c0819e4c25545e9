"""The HTTP service: /v1 routes, problems, read tokens, logs and metrics."""
