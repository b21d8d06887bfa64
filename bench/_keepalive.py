"""A lean HTTP/1.1 keep-alive client for the service benchmark's load (asyncio streams).

httpx spends about 1.8 ms of CPU per request in this process, which on a 2-core machine is CPU
taken from the servers under test. This client does only what the load needs: one TCP
connection, one request at a time, the request bytes built once, the response read by its
``Content-Length`` (or chunked), and the status and body handed back so the caller checks
every response. A connection the server closes (``Connection: close``, or dropped) is opened
again for the next request, and the failed request counts as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

__all__ = ["KeepAlive"]


class KeepAlive:
    """One keep-alive connection to ``base_url`` (``http://host:port``) posting JSON."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"an http://host:port URL, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port
        self._head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def request(self, path: str, body: bytes) -> bytes:
        """The bytes of ``POST path`` with a JSON ``body`` (build once, send many times)."""
        return (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self._head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("ascii") + body

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Send prepared request bytes; the response's status and body.

        Raises :class:`OSError` (or :class:`asyncio.IncompleteReadError`, a subclass of
        ``EOFError``) when the connection fails; the next call connects again.
        """
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status, length, chunked, close = _parse_head(head)
            if chunked:
                body = await self._read_chunked()
            else:
                body = await self._reader.readexactly(length)
        except BaseException:
            await self.close()
            raise
        if close:
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size + 2))
            parts[-1] = parts[-1][:-2]

    async def close(self) -> None:
        """Close the connection (a later :meth:`send` opens a new one)."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _parse_head(head: bytes) -> tuple[int, int, bool, bool]:
    """Status, Content-Length, chunked?, close? of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise OSError(f"not an HTTP/1.x response: {lines[0]!r}")
    status = int(rest[:3])
    length, chunked, close = 0, False, version == "HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            close = "close" in value.lower()
    return status, length, chunked, close
