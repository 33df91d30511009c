"""Several API processes on one port, the kernel spreading connections between them.

uvicorn's own ``--workers`` shares one listening socket, and asyncio accepts every waiting
connection at once: with keep-alive clients (a proxy, a load test), the first worker to wake
takes them all and the other cores idle (measured: 35 CPU-seconds against 0 in a 30-second
run). Here each worker binds its own socket with ``SO_REUSEPORT`` (Linux), so the kernel
hashes new connections across the workers. The parent only supervises: it restarts a worker
that dies and stops them all on SIGINT/SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


def reuseport_available() -> bool:
    """Whether this platform can share a port between sockets."""
    return hasattr(socket, "SO_REUSEPORT")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


APP_FACTORY = "serving.app:create_app"


def _worker(options: dict[str, Any]) -> None:
    import uvicorn

    sock = _bind(options.pop("host"), options.pop("port"))
    factory = options.pop("factory", APP_FACTORY)
    server = uvicorn.Server(uvicorn.Config(factory, factory=True, **options))
    server.run(sockets=[sock])


def serve_workers(
    host: str, port: int, workers: int, stop_timeout_s: float = 30.0, **options: Any
) -> None:
    """Run ``workers`` API processes on ``host:port`` until interrupted (``factory``: the
    application factory's import path, the API alone by default); a worker that has not ended
    ``stop_timeout_s`` after SIGTERM (its requests and page tasks given their time) is
    killed."""
    _bind(host, port).close()  # fail here, in the parent, if the port is taken
    context = mp.get_context("spawn")
    stop = threading.Event()

    def start() -> Any:
        process = context.Process(
            target=_worker, args=({"host": host, "port": port, **options},), daemon=False
        )
        process.start()
        return process

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    processes = [start() for _ in range(workers)]
    while not stop.wait(1.0):
        for i, process in enumerate(processes):
            if not process.is_alive():
                log.error(
                    "API worker %s ended (code %s): restarting it", process.pid, process.exitcode
                )
                time.sleep(1.0)
                processes[i] = start()
    for process in processes:
        process.terminate()  # uvicorn finishes the requests in flight, then exits
    for process in processes:
        process.join(stop_timeout_s)
        if process.is_alive():
            process.kill()
