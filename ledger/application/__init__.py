"""The application layer: the ledger service that checks signed commands and records their
events, its storage and settings, the evidence store and the importers."""
