"""The baseline: a bare Litestar app, served as `bench.hello:app`."""

from __future__ import annotations

from litestar import Litestar, MediaType, get


@get("/", media_type=MediaType.TEXT)
async def hello() -> str:
    return "hello"


def hello_app() -> Litestar:
    return Litestar(route_handlers=[hello])


app = hello_app()
