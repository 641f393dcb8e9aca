"""monobot completion bash|zsh|tcsh — a shell completion script for every command and option (via shtab).

The script is generated from the same argparse parser `monobot` runs, plugin commands (eval, guardrail,
bench, soak, load) included, so it never drifts from the real options. Install it once, e.g.
`monobot completion bash > ~/.local/share/bash-completion/completions/monobot`.
"""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "tcsh")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script: monobot completion bash > ~/.local/share/bash-completion/completions/monobot "
        "(zsh: save it as _monobot in a folder on $fpath).",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import shtab

    from . import build_parser

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0
