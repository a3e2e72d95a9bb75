"""The native archive: its container, its manifest, verification; and telling kinds of file apart."""
