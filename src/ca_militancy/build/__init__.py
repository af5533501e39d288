"""The build: what maintainers run to turn the curated CSVs into a release.

``checks`` (every named check; ``provenance`` for those against the archived texts), then the
outputs: ``parquet``, ``sqlite_edition``, ``descriptor`` (datapackage.json), ``docs_gen``,
``figures``, ``release`` (zip, manifest, SHA256SUMS, the atomic commit), ``diff`` (between
releases), and ``pipeline``, which runs the stages in order (``scripts/build.py``).
"""
