"""Django dumpdata exports (JSON), restored through the same safe path."""
