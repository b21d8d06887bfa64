"""bench/service.py's load generator: it reads every response and counts what is not an issuance."""

from __future__ import annotations

import asyncio
import json

import pytest

from bench._keepalive import KeepAlive
from bench.service import _issued

GOOD = json.dumps(
    {"verifiableCredential": {"proof": {}, "credentialStatus": {"statusListIndex": "7"}}}
).encode()


async def _serve(answers: list[bytes]) -> tuple[asyncio.Server, str]:
    """A server that answers each request (any bytes up to the blank line + body) in turn."""
    queue = list(answers)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while queue:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            answer = queue.pop(0)
            if answer == b"DROP":
                writer.close()
                return
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def _response(status: int, body: bytes, *, chunked: bool = False, close: bool = False) -> bytes:
    head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
    if close:
        head += "connection: close\r\n"
    if chunked:
        middle = len(body) // 2
        parts = [body[:middle], body[middle:]]
        encoded = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        return (head + "transfer-encoding: chunked\r\n\r\n").encode() + encoded
    return (head + f"content-length: {len(body)}\r\n\r\n").encode() + body


def test_every_response_is_read_and_checked() -> None:
    async def run() -> list[object]:
        server, url = await _serve(
            [
                _response(201, GOOD),
                _response(201, GOOD, chunked=True),
                _response(500, b'{"code":"x"}'),
                _response(201, b'{"verifiableCredential":{}}'),  # no proof: not an issuance
                _response(201, GOOD, close=True),
            ]
        )
        client = KeepAlive(url, {"Authorization": "Bearer t"})
        request = client.request("/credentials/issue", b"{}")
        seen: list[object] = []
        async with server:
            for _ in range(5):
                seen.append(_issued(*await client.send(request)))
            await client.close()
        return seen

    assert asyncio.run(run()) == [True, True, False, False, True]


def test_a_dropped_connection_is_an_error_and_the_next_request_reconnects() -> None:
    async def run() -> bool:
        server, url = await _serve([b"DROP", _response(201, GOOD)])
        client = KeepAlive(url, {})
        request = client.request("/credentials/issue", b"{}")
        async with server:
            with pytest.raises((OSError, EOFError)):  # the bench counts it as an error
                await client.send(request)
            ok = _issued(*await client.send(request))  # on a new connection
            await client.close()
        return ok

    assert asyncio.run(run()) is True
