"""Where the window's parts go and how large it opens: the list above, the jobs and the current job's log
below (each half can be made larger), the status bar; the size that fits the screen it opens on."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtWidgets import QGroupBox, QMainWindow, QSplitter, QVBoxLayout, QWidget

translate = QCoreApplication.translate
DEFAULT_SIZE = QSize(1280, 800)
DECORATIONS = QSize(16, 48)  # room left for the window manager's frame and title bar


def first_window_size(available: QSize) -> QSize | None:
    """The first window's size on a screen with `available` room; None: smaller screens open it maximized."""
    if (
        available.width() >= DEFAULT_SIZE.width() + DECORATIONS.width()
        and available.height() >= DEFAULT_SIZE.height() + DECORATIONS.height()
    ):
        return DEFAULT_SIZE
    return None


def fit_screen(window: QMainWindow) -> None:
    """Default size where it fits with its frame; maximized on smaller screens (1366×768, 1024×600)."""
    available = window.screen().availableGeometry()
    size = first_window_size(available.size())
    if size is None:
        window.resize(available.size() - DECORATIONS)
        window.setWindowState(Qt.WindowState.WindowMaximized)
    else:
        window.resize(size)
        window.move(available.center() - window.rect().center())


def arrange(banner: QWidget, lists: QWidget, jobs: QWidget, log_panel: QWidget) -> QSplitter:
    """The central widget: the banner and the lists above; the jobs and the log of the current job below."""
    top = QWidget()
    top_layout = QVBoxLayout(top)
    top_layout.setContentsMargins(6, 6, 6, 0)
    top_layout.addWidget(banner)
    top_layout.addWidget(lists, 1)
    jobs_box = QGroupBox(translate("Window", "Jobs"))
    QVBoxLayout(jobs_box).addWidget(jobs)
    log_box = QGroupBox(translate("Window", "Log of the current job"))
    QVBoxLayout(log_box).addWidget(log_panel)
    bottom = QSplitter(Qt.Orientation.Horizontal)
    bottom.setContentsMargins(6, 0, 6, 0)
    bottom.addWidget(jobs_box)
    bottom.addWidget(log_box)
    bottom.setStretchFactor(0, 3)
    bottom.setStretchFactor(1, 2)
    bottom.setChildrenCollapsible(False)
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(top)
    splitter.addWidget(bottom)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 1)
    splitter.setChildrenCollapsible(False)
    return splitter
