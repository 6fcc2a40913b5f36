"""Exceptions that carry a message fit to show a person as-is (CLI and pages print them)."""


class MarqueeError(Exception):
    """Base class: the message names the file, row or field at fault."""


class SchemaError(MarqueeError):
    """A table does not match the canonical schema."""


class CatalogNotFound(MarqueeError):
    """No catalog of that name exists."""


class IntegrityError(MarqueeError):
    """A catalog file does not match its recorded checksum."""


class CatalogImportError(MarqueeError):
    """A source file cannot be imported (missing columns, wrong encoding, empty...)."""
