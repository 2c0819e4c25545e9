"""The edge of the system: the HTTP service and the command line."""
