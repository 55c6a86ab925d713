"""The package's version: a leaf module, so that any layer can name it without importing the API."""

__version__ = "0.3.0.dev0"
