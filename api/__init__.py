"""The edge of the system: the command line (and, later, HTTP)."""
