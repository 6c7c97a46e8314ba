"""The server side of RFC 6455 WebSockets, as much as Kubernetes' streaming needs: the handshake, binary
messages (fragmented or not) from a client that masks them, pings answered with pongs, and a clean close.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from io import BufferedIOBase

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NORMAL_CLOSURE = 1000
MAX_MESSAGE = 1024 * 1024


class Closed(Exception):
    """The client closed the connection (or it broke)."""


def accept_key(client_key: str) -> str:
    """`Sec-WebSocket-Accept` for the client's `Sec-WebSocket-Key`."""
    return base64.b64encode(hashlib.sha1((client_key + _GUID).encode()).digest()).decode()  # noqa: S324


class Connection:
    """One upgraded connection: `receive()` a data message, `send(data)`, `close()`."""

    def __init__(self, reader: BufferedIOBase, writer: BufferedIOBase) -> None:
        self.reader = reader
        self.writer = writer
        self.closed = False

    def _read(self, size: int) -> bytes:
        data = self.reader.read(size) if size else b""
        if len(data) < size:
            raise Closed("the connection ended")
        return data

    def _frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        if length > MAX_MESSAGE:
            raise Closed("a frame too large")
        mask = self._read(4) if second & 0x80 else b""
        payload = self._read(length)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bool(first & 0x80), first & 0x0F, payload

    def receive(self) -> bytes:
        """The next data message; answers pings on the way. Raises Closed when the client closes."""
        parts: list[bytes] = []
        while True:
            final, opcode, payload = self._frame()
            if opcode == PING:
                self._write(PONG, payload)
            elif opcode == CLOSE:
                if not self.closed:
                    self._write(CLOSE, payload[:2])
                    self.closed = True
                raise Closed("the client closed the connection")
            elif opcode in (TEXT, BINARY, CONTINUATION):
                parts.append(payload)
                if sum(map(len, parts)) > MAX_MESSAGE:
                    raise Closed("a message too large")
                if final:
                    return b"".join(parts)

    def _write(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        try:
            self.writer.write(header + payload)
            self.writer.flush()
        except OSError as exc:
            raise Closed(str(exc)) from None

    def send(self, data: bytes) -> None:
        self._write(BINARY, data)

    def close(self) -> None:
        """Send a normal closure and wait for the client's (so no unread data turns into a reset)."""
        if self.closed:
            return
        self._write(CLOSE, struct.pack("!H", NORMAL_CLOSURE))
        self.closed = True
        try:
            while True:
                self.receive()
        except (Closed, OSError):
            pass
