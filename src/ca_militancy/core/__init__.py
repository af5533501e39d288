"""The core both wings use: the Table Schemas as a catalog of tables, the types derived from
them, the strict reading of a curated CSV, problems located to file and line, and hashing.

Nothing here imports the reader (:mod:`ca_militancy.reader`) or the build
(:mod:`ca_militancy.build`), and nothing here imports pandas, pyarrow or frictionless at import
time except the modules that read tables (``strict_csv``, ``problems``).
"""
