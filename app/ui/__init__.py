"""The PySide6 window and dialogs: thin, engine jobs run on worker threads."""
