"""monobot serve — the web API, the chat widget (/widget.js) and a demo page (/demo), on uvicorn."""

from __future__ import annotations

import argparse

from .common import add_store_option, ensure_index, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the web API and the chat widget")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (each loads the model and opens the index)")
    p.add_argument("--log-level", default="warning", help="uvicorn's access/error log level")
    add_store_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from bot.index import IndexStore, get_embedder
    from bot.settings import get_settings

    os.environ.setdefault("MONOBOT_ONNX_THREADS", "1")  # many questions at once: one thread per inference

    if args.store:
        os.environ["MONOBOT_STORE"] = str(args.store.resolve())  # workers build their settings from the environment
        get_settings.cache_clear()
    settings = settings_from(args)
    from bot import logs

    logs.configure(settings.log_level, logs.secrets_of(settings), settings.debug)
    ensure_index(settings, IndexStore(settings), get_embedder(settings))
    print(f"monobot: serving on http://{args.host}:{args.port} (demo page: /demo, API docs: /docs)")
    uvicorn.run(
        "bot.web.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # No uvicorn logging config: monobot's JSON-lines handler carries uvicorn's messages too. This
        # configure() covers the parent (supervisor) process; each worker process configures the same
        # handler, with the same masking, in bot.web.app.app_factory.
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    return 0
