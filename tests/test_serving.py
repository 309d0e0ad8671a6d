"""The served HTTP protocol: a client trickling its request head is cut off."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
import uvicorn

from registry.infra import serving


async def hello(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(serving, "HEADER_TIMEOUT", 0.5)
    port = _free_port()
    config = uvicorn.Config(
        hello, host="127.0.0.1", port=port, http=serving.HeaderTimeoutProtocol, log_level="error"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.02)
    yield port
    server.should_exit = True
    await task


async def test_slow_request_head_is_cut_off(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()

    async def trickle() -> None:
        for n in range(40):  # one header line every 0.1 s, for up to 4 s
            await asyncio.sleep(0.1)
            writer.write(f"X-Trickle-{n}: y\r\n".encode())
            await writer.drain()

    sender = asyncio.create_task(trickle())
    try:
        data = await asyncio.wait_for(reader.read(), 5)  # returns when the server closes
    finally:
        sender.cancel()
        writer.close()
    assert data == b""  # no response: the connection was dropped
    assert time.monotonic() - start < 2.0


async def test_prompt_requests_are_served_on_a_kept_alive_connection(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    for _ in range(2):
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"HTTP/1.1 200")
        assert await reader.readexactly(2) == b"ok"
        await asyncio.sleep(0.7)  # longer than the head deadline, between requests
    writer.close()
