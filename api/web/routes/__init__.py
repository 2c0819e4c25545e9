"""The web pages, one module per concern."""
