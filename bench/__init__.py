"""Benchmarks: throughput as a ratio to a hello-world Litestar app (see docs/performance.md)."""
