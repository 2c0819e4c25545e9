"""The PAR INDEX domain: indicator sets, units, keys, campaigns and scorecards.

Nothing here imports a web framework, a database driver or SQL.
"""
