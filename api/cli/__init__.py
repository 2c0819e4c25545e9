"""The ``parledger`` command line."""
