"""Registry of chart kinds a lesson spec may name. The kinds live in rnn.py and attention_demo.py."""
from __future__ import annotations

from .attention_demo import ATTENTION_MATRIX, ATTENTION_WEIGHTS
from .base import ChartKind
from .rnn import MEMORY_FADE, SEQUENTIAL_STEPS, VANISHING_GRADIENT

CHART_KINDS: dict[str, ChartKind] = {
    kind.name: kind
    for kind in (MEMORY_FADE, VANISHING_GRADIENT, ATTENTION_WEIGHTS, ATTENTION_MATRIX, SEQUENTIAL_STEPS)
}
