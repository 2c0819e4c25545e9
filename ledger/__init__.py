"""parledger's write side: domain aggregates, signed commands, and the ledger application."""
