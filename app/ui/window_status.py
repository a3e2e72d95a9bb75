"""What the window shows of its connection: the banner, the status bar, its title, and the list greyed or not.

One state shown truthfully: connected (the server named on the right, the list usable), connected to nothing
(no server named, the list greyed, the profiles offered), or lost (the list greyed as it was, Reconnect that
cannot be dismissed). The connecting itself is connection_flow.py's.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from app.engine.errors import ResguardoError
from app.ui import engine_words
from app.ui.banner import Banner
from app.ui.connection_flow import ConnectionFlow
from app.ui.engine_words import WindowError
from app.ui.session import Session
from app.ui.widgets import ElidedLabel

translate = QCoreApplication.translate


class StatusHost(Protocol):
    """The parts of the window these words go into."""

    @property
    def banner(self) -> Banner: ...

    @property
    def list_area(self) -> QWidget: ...

    @property
    def listing_label(self) -> ElidedLabel: ...

    @property
    def server_label(self) -> ElidedLabel: ...

    @property
    def connection(self) -> ConnectionFlow: ...

    def setWindowTitle(self, __title: str) -> None: ...

    def refresh(self) -> None: ...

    def reconnect(self) -> None: ...

    def edit_profiles(self) -> None: ...

    def update_actions(self) -> None: ...


def connecting(host: StatusHost, text: str) -> None:
    host.banner.hide()
    host.listing_label.set_full_text(text)


def connected(host: StatusHost, session: Session) -> None:
    host.banner.hide()
    host.server_label.set_full_text(session.status_text())
    host.setWindowTitle(  # ends with the program's name, so Qt's X11 and Windows title bars add it no second time
        translate("Window", "{database} on {host} — Resguardo").format(
            database=session.target.dbname, host=session.target.params.get("host", "localhost")
        )
    )
    host.list_area.setEnabled(True)
    host.refresh()


def connect_failed(host: StatusHost, error: ResguardoError) -> None:
    if host.connection.is_lost:  # a Reconnect that failed: still disconnected, and Reconnect stays at hand
        host.listing_label.set_full_text(translate("Window", "Disconnected."))
        host.banner.show_error(error, (translate("Window", "Reconnect"), "reconnect", host.reconnect), closable=False)
    else:  # connected to nothing (connection_flow.py): the list greyed, no server named, no action
        host.list_area.setEnabled(False)
        host.server_label.set_full_text("")
        host.setWindowTitle("Resguardo")
        host.listing_label.set_full_text(translate("Window", "Not connected."))
        host.banner.show_error(error, (translate("Window", "Connection profiles…"), "profiles", host.edit_profiles))
    host.update_actions()


def lost(host: StatusHost, error: ResguardoError) -> None:
    """The server stopped answering: say so, grey the list, switch the actions off, offer Reconnect."""
    host.list_area.setEnabled(False)
    when = translate(
        "Window",
        "The connection to the server was lost. The list shows the "
        "clinics as they were; nothing can be done until Resguardo is "
        "connected again.",
    )
    host.listing_label.set_full_text(translate("Window", "Disconnected."))
    details = "\n\n".join(filter(None, [error.message, engine_words.technical(error)]))
    host.banner.show_error(
        WindowError(when, details), (translate("Window", "Reconnect"), "reconnect", host.reconnect), closable=False
    )
    host.update_actions()
