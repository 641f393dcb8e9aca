"""The guardrail: refuse dosing, self-administration and sourcing requests; answer everything else.

The layers and the order they run in are described in guardrail.py and docs/guardrail.md; the policy and
every layer's data live under prompts/guardrail/.
"""

from .guardrail import Guardrail

__all__ = ["Guardrail"]
