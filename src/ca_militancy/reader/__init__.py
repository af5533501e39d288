"""The reader: what ``import ca_militancy`` and the ``ca-militancy`` command use.

``loader`` (tables, typed DataFrames), ``lookup`` (any spelling -> entities), ``cite`` (the
words behind a record), ``fetch`` (another release, hash-verified), ``browse`` (the SQLite
edition in Datasette), ``cli`` (the command), ``api`` (the module-level functions). It depends on
``ca_militancy.core`` only, never on ``ca_militancy.build``.
"""
