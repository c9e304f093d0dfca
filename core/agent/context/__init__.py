"""How full a model's context is, and keeping a long conversation inside it.

``windows`` knows each model's context window, ``tokens`` counts (or estimates) tokens,
``plan`` decides what the next request sends (summaries in, old tool outputs shortened) and
whether the conversation must be compacted first, ``compact`` writes the summary.
"""

from core.agent.context.plan import Plan, plan_request
from core.agent.context.tokens import estimate_tokens
from core.agent.context.windows import window_for

__all__ = ["Plan", "estimate_tokens", "plan_request", "window_for"]
