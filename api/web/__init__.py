"""The web application: server-rendered pages in Vietnamese, served at ``/`` beside the API.

Every act is signed in the browser by a key that never leaves it (WebCrypto Ed25519,
non-extractable, kept in IndexedDB) and sent to ``POST /v1/commands`` like any command;
the pages only read the read models and render them (docs/adr/0012-web-application.md)."""
