"""Attention chart kinds: what "it" looks at in the trophy/suitcase sentences.

The model is BUILT FOR THE DEMONSTRATION, not learned, and the speaker notes say so:

* Tokeniser: words only. Contractions stay one word ("didn't"), punctuation is dropped
  (the final "." carries nothing here), case is kept for labels and ignored for lookup.
* Embeddings: eight interpretable features (noun, content = a thing that goes inside,
  container, pronoun, big, small, verb, function word) in the first dimensions, plus small
  seeded noise over all `dim` dimensions. Unknown words get noise only. No positions.
* Layer 1 (context): a hand-set attention head in which pronouns look for the size
  adjective and copy it in (residual), as an earlier layer of a trained model would;
  other words attend to similar words and copy nothing. This
  is what makes "it" differ between "...too big" and "...too small": with static
  embeddings its query would otherwise be identical in both sentences.
* Layer 2 (shown): pronouns look for nouns; "big" looks for the content, "small" for the
  container. The charts plot this head's weights.

Both layers call the reference `attention`; query/key projections get small seeded noise.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from .base import ChartData, ChartKind, Param, Series

SENTENCES = (
    "The trophy didn't fit in the suitcase because it was too big.",
    "The trophy didn't fit in the suitcase because it was too small.",
)

FEATURES = ("noun", "content", "container", "pronoun", "big", "small", "verb", "function")
F = {name: i for i, name in enumerate(FEATURES)}

LEXICON = {
    "the": ("function",), "a": ("function",), "in": ("function",), "because": ("function",),
    "too": ("function",),
    "trophy": ("noun", "content"), "ball": ("noun", "content"), "book": ("noun", "content"),
    "suitcase": ("noun", "container"), "box": ("noun", "container"), "bag": ("noun", "container"),
    "it": ("pronoun",),
    "didn't": ("verb",), "fit": ("verb",), "was": ("verb",),
    "big": ("big",), "large": ("big",), "small": ("small",), "little": ("small",),
}

EMBED_NOISE = 0.1    # std of the per-word noise: visible texture, never enough to flip the demo
WEIGHT_NOISE = 0.1   # std of the noise added to the query/key projections
COPY_GAIN = 5.0      # layer 1: how sharply a pronoun finds the size adjective
SELF_GAIN = 3.0      # layer 1: everyone else mostly attends to similar words (no size to copy)
NOUN_GAIN = 2.0      # layer 2: a pronoun prefers nouns...
ROLE_GAIN = 3.0      # ...and "big" picks the content, "small" the container

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


def tokenize(sentence: str) -> list[str]:
    """Words with their contractions ("didn't" stays whole); punctuation dropped."""
    return _TOKEN.findall(sentence.replace("\u2019", "'"))


def embed(tokens: list[str], seed: int, dim: int) -> np.ndarray:
    """(L, dim) static embeddings: hand-set features + noise seeded per (seed, word)."""
    rows = []
    for tok in tokens:
        word = tok.lower()
        # Same word, same vector in every sentence, whatever else the spec asks for.
        rng = np.random.default_rng([seed, zlib.crc32(word.encode())])
        v = EMBED_NOISE * rng.standard_normal(dim)
        for feature in LEXICON.get(word, ()):
            v[F[feature]] += 1.0
        rows.append(v)
    return np.array(rows)


@dataclass(frozen=True)
class DemoModel:
    Wq1: np.ndarray
    Wk1: np.ndarray
    Wv1: np.ndarray
    Wq2: np.ndarray
    Wk2: np.ndarray
    Wv2: np.ndarray


def demo_model(seed: int, dim: int) -> DemoModel:
    """Hand-set projections (see module doc) plus small seeded noise."""
    rng = np.random.default_rng(seed)
    # attention() divides scores by sqrt(dim); scale the hand-set query/key entries so the
    # demo's scores (gains tuned at dim 16) mean the same at any dim.
    g = (dim / 16) ** 0.25

    def noisy(hand: np.ndarray) -> np.ndarray:
        return hand + WEIGHT_NOISE * rng.standard_normal(hand.shape)

    z = lambda: np.zeros((dim, dim))
    # By default a word attends to words like itself, so only pronouns pick up a size.
    Wq1, Wk1, Wv1 = g * SELF_GAIN * np.eye(dim), g * SELF_GAIN * np.eye(dim), z()
    slot = len(FEATURES)                             # a spare dimension for "size adjective?"
    Wq1[F["pronoun"], slot] = g * COPY_GAIN          # "I am looking for a size adjective"
    Wk1[F["big"], slot] = Wk1[F["small"], slot] = g * COPY_GAIN
    Wv1[F["big"], F["big"]] = Wv1[F["small"], F["small"]] = 1.0  # copy only the size

    Wq2, Wk2 = z(), z()
    Wq2[F["pronoun"], 0] = g * NOUN_GAIN
    Wk2[F["noun"], 0] = g * NOUN_GAIN
    Wq2[F["big"], 1] = g * ROLE_GAIN                 # too big -> the thing that goes inside
    Wk2[F["content"], 1] = g * ROLE_GAIN
    Wq2[F["small"], 2] = g * ROLE_GAIN               # too small -> the container
    Wk2[F["container"], 2] = g * ROLE_GAIN
    # Value projections stay exact: noise there would leak a fake "size" into every word.
    return DemoModel(noisy(Wq1), noisy(Wk1), Wv1, noisy(Wq2), noisy(Wk2), np.eye(dim))


def attention_weights_matrix(reference, sentence: str, seed: int, dim: int) -> tuple[list[str], np.ndarray]:
    """Tokens and the (L, L) weights of the shown head (layer 2)."""
    tokens = tokenize(sentence)
    if not tokens:
        raise ValueError(f"sentence has no words: {sentence!r}")
    m = demo_model(seed, dim)
    X = embed(tokens, seed, dim)
    context, _ = reference.attention(X @ m.Wq1, X @ m.Wk1, X @ m.Wv1)
    X1 = X + context                                 # residual: keep the word, add its context
    _, weights = reference.attention(X1 @ m.Wq2, X1 @ m.Wk2, X1 @ m.Wv2)
    return tokens, np.asarray(weights)


def position_labels(token_lists: list[list[str]]) -> tuple[str, ...]:
    """One label per position; where the sentences differ, e.g. "big / small"."""
    labels = []
    for column in zip(*token_lists):
        distinct = list(dict.fromkeys(column))
        labels.append(" / ".join(distinct))
    return tuple(labels)


def series_names(sentences: list[str], token_lists: list[list[str]]) -> list[str]:
    """Name each sentence by its words that the others lack: "big" sentence."""
    names = []
    for i, tokens in enumerate(token_lists):
        others = token_lists[:i] + token_lists[i + 1:]
        own = [t for p, t in enumerate(tokens) if any(o[p] != t for o in others)]
        names.append(f'"{" ".join(own)}" sentence' if own else sentences[i])
    return names


def query_index(tokens: list[str], query: str, sentence: str) -> int:
    for i, tok in enumerate(tokens):
        if tok.lower() == query.lower():
            return i                                 # first occurrence
    raise ValueError(f"query token {query!r} is not a word of {sentence!r} (words: {tokens})")


def top_two(weights: np.ndarray, tokens: list[str]) -> str:
    order = np.argsort(-weights, kind="stable")
    a, b = order[0], order[1] if len(order) > 1 else order[0]
    return f'{weights[a]:.2f} on "{tokens[a]}" (next: "{tokens[b]}" {weights[b]:.2f})'


NOTES = (
    "Embeddings are hand-built for this demo, not learned: a first hand-set attention head "
    "copies the adjective (big/small) into \"it\", as an earlier layer of a trained model would, "
    "then the head shown matches \"it\" to the noun that can be too big (the thing inside) or "
    "too small (the container); weights come from the reference attention(). "
)


# --- chart kinds -------------------------------------------------------------------------------

def attention_weights(reference, *, sentences: list, query: str, seed: int, dim: int) -> ChartData:
    results = [attention_weights_matrix(reference, s, seed, dim) for s in sentences]
    token_lists = [tokens for tokens, _ in results]
    if len({len(t) for t in token_lists}) != 1:
        raise ValueError(f"sentences must have the same number of words to share one axis: {token_lists}")
    rows = [w[query_index(t, query, s)] for (t, w), s in zip(results, sentences)]
    names = series_names(list(sentences), token_lists)
    summary = "; ".join(f'in the {n}, "{query}" puts {top_two(r, t)}'
                        for n, r, t in zip(names, rows, token_lists))
    return ChartData(
        name="attention_weights",
        plot="bar",
        title=f'What "{query}" attends to',
        x_label="word",
        y_label=f'attention weight of "{query}"',
        categories=position_labels(token_lists),
        series=tuple(Series(n, tuple(float(v) for v in r)) for n, r in zip(names, rows)),
        description=f'Attention weights of "{query}" over each word (each set sums to 1): {summary}.',
        notes=NOTES + f'Say: the same word "{query}" looks at a different noun once the adjective changes.',
    )


def attention_matrix(reference, *, sentence: str, seed: int, dim: int, rows: list | None = None) -> ChartData:
    tokens, weights = attention_weights_matrix(reference, sentence, seed, dim)
    L = len(tokens)
    shown = [query_index(tokens, r, sentence) for r in rows] if rows else list(range(L))
    focused = [i for i in shown if weights[i].max() >= 2.0 / L]  # clearly above uniform 1/L
    focus_text = "; ".join(f'row "{tokens[i]}" puts {top_two(weights[i], tokens)}' for i in focused)
    rest = [i for i in shown if i not in focused]
    rest_text = (f" The other {len(rest)} rows are close to uniform (largest weight "
                 f"{max(weights[i].max() for i in rest):.2f}, uniform is {1 / L:.2f})." if rest else "")
    return ChartData(
        name="attention_matrix",
        plot="heatmap",
        title="Self-attention weights, word by word",
        x_label="attended word (key)",
        y_label="attending word (query)",
        categories=tuple(tokens),
        series=tuple(Series(tokens[i], tuple(float(v) for v in weights[i])) for i in shown),
        description=(f"Self-attention weights for \"{sentence}\"; each row sums to 1"
                     f"{'' if len(shown) == L else f' ({len(shown)} of the {L} words shown as rows)'}. "
                     f"{focus_text or 'No row is clearly focused.'}.{rest_text}"),
        notes=NOTES + "Say: every word looks at every other word in one step; only words with "
                      "something to resolve have a sharp row.",
    )


ATTENTION_WEIGHTS = ChartKind(
    name="attention_weights",
    doc='Attention weights of one word ("it") over the words of each sentence, from a hand-built demo model.',
    params={
        "sentences": Param(list, list(SENTENCES), "Sentences with the same number of words.", item=str),
        "query": Param(str, "it", "The word whose attention row is plotted (first occurrence)."),
        "seed": Param(int, 0, "Seed of the small noise on embeddings and projections.", min=0),
        "dim": Param(int, 16, "Embedding size (9-64): 8 hand-set feature dims + 1 spare; beyond 64 the noise swamps them.",
                     min=len(FEATURES) + 1, max=64),
    },
    compute=attention_weights,
    needs=("attention",),
)

ATTENTION_MATRIX = ChartKind(
    name="attention_matrix",
    doc="Full word-by-word self-attention weight matrix of one sentence (same demo model).",
    params={
        "sentence": Param(str, SENTENCES[0], "The sentence to analyse."),
        "rows": Param(list, [], "Only these words' rows (first occurrence of each), in this order; default: "
                                "every word. Fewer rows, fewer numbers to read.", item=str),
        "seed": Param(int, 0, "Seed of the small noise on embeddings and projections.", min=0),
        "dim": Param(int, 16, "Embedding size (9-64): 8 hand-set feature dims + 1 spare; beyond 64 the noise swamps them.",
                     min=len(FEATURES) + 1, max=64),
    },
    compute=attention_matrix,
    needs=("attention",),
)
