"""Forms and reports as officials file them, in XLSX and PDF, each read from the read models
as of one log position and carrying the provenance of its numbers (docs/adr/0009)."""
