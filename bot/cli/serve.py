"""monobot serve — the web API, the chat widget (/widget.js) and a demo page (/demo), on uvicorn.

Settings reach every worker as an object: the app factory is a picklable partial of the parent's
Settings (uvicorn starts workers with `spawn`), so nothing is passed by rewriting the environment.
The server is uvicorn with monobot's deadlines and connection cap (bot/web/server.py).

An empty index is served as it is (/readyz answers 503 with the reason): production must never
serve the bundled sample corpus by accident. `--demo` ingests the sample into an empty store first.
"""

from __future__ import annotations

import argparse
import errno
import functools
import socket
import sys

from .common import add_store_option, ensure_index, fail, settings_from

LOG_LEVELS = ["critical", "error", "warning", "info", "debug", "trace"]


class DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default in its help, except where the help already says it (a default of None)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return action.help if action.default is None else super()._get_help_string(action)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the web API and the chat widget",
        formatter_class=DefaultsHelp,
        description="Serve POST /api/chat, /api/chat/stream, /api/feedback, /healthz, /readyz, the widget, "
        "/demo and /docs (and /slack/events when MONOBOT_SLACK_SIGNING_SECRET is set). Deadlines, the "
        "connection cap, rate limits and proxies are set with MONOBOT_* variables (docs/web.md).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, default=8000, help="TCP port")
    p.add_argument("--workers", type=int, default=1, help="worker processes (each loads the model and opens the index)")
    p.add_argument("--log-level", default="warning", choices=LOG_LEVELS, help="uvicorn's own access/error log level")
    p.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="--demo: ingest the bundled sample corpus if the index is empty (never in production); "
        "--no-demo: no /demo page, and GET / redirects to /docs; neither: the /demo page, no ingest",
    )
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


def _index_state(settings) -> str | None:
    """Why the index cannot be served yet (empty or unreachable), or None."""
    from bot.index import IndexStore, IndexUnavailable

    try:
        live = IndexStore(settings).read_live()
    except IndexUnavailable as exc:
        return str(exc)
    return None if live is not None else "the index is empty"


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from bot import logs
    from bot.web.app import app_factory
    from bot.web.server import config as server_config
    from bot.web.server import worker_settings

    settings = settings_from(args)
    if args.demo is False:
        settings = settings.model_copy(update={"demo_page": False})
    if settings.redis_url and settings.client_salt is None:
        print(
            "monobot: MONOBOT_REDIS_URL is set without MONOBOT_CLIENT_SALT: set the same salt on every host, "
            "or each host counts a client as someone else",
            file=sys.stderr,
        )
    settings = worker_settings(settings)
    logs.configure(settings.log_level, logs.secrets_of(settings), settings.debug)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        return fail(f"cannot listen on {args.host}:{args.port}: {reason} (choose another with --port)", code=1)
    if args.demo:
        from bot.index import IndexStore, get_embedder

        ensure_index(settings, IndexStore(settings), get_embedder(settings))
    elif (problem := _index_state(settings)) is not None:
        print(
            f"monobot: {problem}: /readyz answers 503 until `monobot ingest FOLDER` fills {settings.store} "
            "(or restart with --demo for the sample corpus)",
            file=sys.stderr,
        )
    config = server_config(
        functools.partial(app_factory, settings),
        settings,
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
    pages = "demo page: /demo, API docs: /docs" if settings.demo_page else "API docs: /docs"
    print(f"monobot: serving on http://{args.host}:{args.port} ({pages})", flush=True)
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
    return 0
