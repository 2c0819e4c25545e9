"""Checking what was recorded: the checks of every event, the replay of a log, the bundle
format and the offline bundle verifier. Reads bytes and keys, never a database."""
