"""The native archive: its container and reader, its manifest, its rows read back, and its writer."""
