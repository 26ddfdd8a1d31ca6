"""The version of qru_compile."""

__version__ = "0.1.0"
