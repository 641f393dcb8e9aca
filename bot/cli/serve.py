"""monobot serve — the web API, the chat widget (/widget.js) and a demo page (/demo), on uvicorn.

Settings reach every worker as an object: the app factory is a picklable partial of the parent's
Settings (uvicorn starts workers with `spawn`), so nothing is passed by rewriting the environment.
"""

from __future__ import annotations

import argparse
import errno
import functools
import socket

from .common import add_store_option, ensure_index, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the web API and the chat widget",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Serve POST /api/chat, /api/chat/stream, /api/feedback, /healthz, /readyz, the widget and /demo.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, default=8000, help="TCP port")
    p.add_argument("--workers", type=int, default=1, help="worker processes (each loads the model and opens the index)")
    p.add_argument("--log-level", default="warning", help="uvicorn's own access/error log level")
    add_store_option(p)
    p.set_defaults(handler=run)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a busy port is one clear line, not a traceback after 'serving on'."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from bot import logs
    from bot.index import IndexStore, get_embedder
    from bot.web.app import app_factory

    settings = settings_from(args)
    if settings.onnx_threads == 0:  # many questions at once: one onnxruntime thread per inference
        settings = settings.model_copy(update={"onnx_threads": 1})
    logs.configure(settings.log_level, logs.secrets_of(settings), settings.debug)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        return fail(f"cannot listen on {args.host}:{args.port}: {reason} (choose another with --port)", code=1)
    ensure_index(settings, IndexStore(settings), get_embedder(settings))
    config = uvicorn.Config(
        functools.partial(app_factory, settings),
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # No uvicorn logging config: monobot's JSON-lines handler carries uvicorn's messages too. Each worker
        # configures the same handler, with the same masking, in bot.web.app.app_factory.
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    print(f"monobot: serving on http://{args.host}:{args.port} (demo page: /demo, API docs: /docs)", flush=True)
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
    return 0
