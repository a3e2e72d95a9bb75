"""The main window: the tenant list of the connected server."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.engine.connection import ConnectionTarget


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _ListSchemas(QRunnable):
    def __init__(self, target: ConnectionTarget) -> None:
        super().__init__()
        self.target = target
        self.signals = _Signals()

    def run(self) -> None:
        try:
            with self.target.connect() as conn:
                rows = conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema)' ORDER BY 1"
                ).fetchall()
            self.signals.done.emit([r[0] for r in rows])
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.signals.failed.emit(str(exc))


class MainWindow(QMainWindow):
    def __init__(self, target: ConnectionTarget | None) -> None:
        super().__init__()
        self.setWindowTitle("Resguardo")
        self.resize(1280, 800)
        self.table = QTableWidget(0, 1)
        self.table.setHorizontalHeaderLabels(["Schema"])
        self.status = QLabel("Not connected." if target is None else f"Connected to {target.describe()}")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        if target is not None:
            job = _ListSchemas(target)
            job.signals.done.connect(self._show)
            job.signals.failed.connect(self.status.setText)
            QThreadPool.globalInstance().start(job)

    def _show(self, schemas: list[str]) -> None:
        self.table.setRowCount(len(schemas))
        for row, name in enumerate(schemas):
            self.table.setItem(row, 0, QTableWidgetItem(name))
