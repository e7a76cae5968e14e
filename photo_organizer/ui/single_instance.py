"""One window per library: a second launch brings the first window forward and exits.

The first window listens on a local socket named after its data home (``InstanceServer``).
A second launch on the same data home connects (``ask_running_instance``), sends one JSON
line ``{"command": "activate", "paths": [...]}`` (folders to add) and exits 0, so two copies
never compute the same features. A socket left behind by a crashed window answers nobody:
it is removed and the new window listens in its place.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 1000
ACTIVATE = "activate"


def server_name(data_home: Path | str) -> str:
    """A socket name per data home (short: Unix socket paths are limited to ~100 bytes)."""
    digest = hashlib.sha256(os.fsencode(os.path.realpath(data_home))).hexdigest()[:16]
    return f"photo-organizer-{digest}"


def ask_running_instance(data_home: Path | str, paths: Sequence[str] = (), timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """Ask the window already open on this library to come forward (and add ``paths``).
    True when one answered: this process should exit."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_home))
    if not socket.waitForConnected(timeout_ms):
        return False
    message = json.dumps({"command": ACTIVATE, "paths": [os.path.abspath(p) for p in paths]}) + "\n"
    socket.write(message.encode())
    delivered = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return delivered


class InstanceServer(QObject):
    """Listens for later launches on the same library; ``activated`` carries their paths."""

    activated = Signal(list)  # folders the other launch was asked to add

    def __init__(self, data_home: Path | str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # this user only
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self.name = server_name(data_home)

    def listen(self) -> bool:
        """Start listening; False when another live window already does."""
        if _someone_listens(self.name):
            return False
        QLocalServer.removeServer(self.name)  # a socket left behind by a window that crashed
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[id(socket)] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            # Kept as the server's children (one per later launch): deleting them on disconnect
            # could run after the server itself is gone.

    def _read(self, socket: QLocalSocket) -> None:
        key = id(socket)
        self._buffers[key] = self._buffers.get(key, b"") + bytes(socket.readAll().data())
        if b"\n" not in self._buffers[key]:
            return  # the rest of the line is on its way
        line = self._buffers.pop(key).split(b"\n", 1)[0]
        try:
            message = json.loads(line)
        except ValueError:
            return  # not one of ours
        if isinstance(message, dict) and message.get("command") == ACTIVATE:
            self.activated.emit([str(p) for p in message.get("paths", []) if isinstance(p, str)])


def _someone_listens(name: str) -> bool:
    """Whether a live server answers on ``name`` (connects and leaves without a message)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    alive = socket.waitForConnected(CONNECT_TIMEOUT_MS)
    socket.abort()
    return alive
