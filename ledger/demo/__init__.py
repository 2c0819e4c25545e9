"""The demo ledger: Hanoi's 2022 indicator set and scores, and a whole assessment cycle."""
