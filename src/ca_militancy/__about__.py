"""The dataset version: the one place it is written. The build, the wheel, datapackage.json
and CITATION.cff all read it from here."""

__version__ = "1.2.1"
