"""RNN chart kinds: memory fade, vanishing/exploding gradients, sequential steps.

Every hidden state comes from the reference `rnn_step` (row vectors):
    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)
so the Jacobian of h_t with respect to h_{t-1} is  diag(1 - h_t^2) W_hh^T
and with respect to x_t it is                       diag(1 - h_t^2) W_xh^T.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import ChartData, ChartKind, Param, Series

# Inputs are not a parameter of the gradient chart; a small fixed width is enough to drive the RNN.
GRADIENT_INPUT_DIM = 8


def sci(x: float) -> str:
    """Short scientific number for alt text: 3.2e-09."""
    return f"{x:.1e}"


# --- a seeded toy RNN -------------------------------------------------------------------------

@dataclass(frozen=True)
class ToyRNN:
    """Random weights and inputs; W_hh = scale * Q so only the scale differs between runs."""

    xs: np.ndarray       # (steps, input_dim) the input sequence x_1..x_T
    W_xh: np.ndarray     # (input_dim, hidden)
    Q: np.ndarray        # (hidden, hidden) orthogonal: every direction has gain exactly `scale`
    b: np.ndarray        # (hidden,)
    target: np.ndarray   # (hidden,) what h_T should have been, for the loss

    def W_hh(self, scale: float) -> np.ndarray:
        return scale * self.Q


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    # QR of a Gaussian, signs fixed so the result is uniformly (Haar) distributed.
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def toy_rnn(seed: int, hidden: int, input_dim: int, steps: int) -> ToyRNN:
    rng = np.random.default_rng(seed)
    Q = orthogonal(rng, hidden)
    W_xh = rng.standard_normal((input_dim, hidden)) / np.sqrt(input_dim)  # unit-variance drive
    xs = rng.standard_normal((steps, input_dim))
    target = rng.uniform(-1.0, 1.0, hidden)
    return ToyRNN(xs=xs, W_xh=W_xh, Q=Q, b=np.zeros(hidden), target=target)


def forward(reference, xs, W_xh, W_hh, b) -> np.ndarray:
    """Hidden states h_1..h_T, shape (T, H), from h_0 = 0, using the reference rnn_step."""
    h = np.zeros(W_hh.shape[0])
    hs = []
    for x_t in xs:
        h = reference.rnn_step(x_t, h, W_xh, W_hh, b)
        hs.append(h)
    return np.array(hs)


# --- the maths ---------------------------------------------------------------------------------

def first_input_influence(hs: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """Spectral norm of d h_t / d x_1 for t = 1..T (chain rule, one Jacobian per step)."""
    J = (1.0 - hs[0] ** 2)[:, None] * W_xh.T          # d h_1 / d x_1, (H, D)
    norms = [np.linalg.norm(J, 2)]
    for h_t in hs[1:]:
        J = ((1.0 - h_t ** 2)[:, None] * W_hh.T) @ J   # d h_t / d h_{t-1} times d h_{t-1} / d x_1
        norms.append(np.linalg.norm(J, 2))
    return np.array(norms)


def bptt_grad_norms(hs: np.ndarray, W_hh: np.ndarray, dL_dhT: np.ndarray) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T when the loss only sees h_T: backpropagation through time."""
    g = np.asarray(dL_dhT, dtype=float)
    norms = [np.linalg.norm(g)]
    for h_t in hs[:0:-1]:                          # h_T .. h_2: step back from t to t-1
        g = (g * (1.0 - h_t ** 2)) @ W_hh.T        # row-vector form of diag(1-h_t^2) W_hh^T
        norms.append(np.linalg.norm(g))
    return np.array(norms[::-1])


def dependency_dag_rnn(length: int, layers: int) -> dict:
    """h[l, t] needs h[l, t-1] (same layer, previous word) and h[l-1, t] (layer below)."""
    deps = {}
    for l in range(layers):
        for t in range(length):
            deps[(l, t)] = [(l, t - 1)] * (t > 0) + [(l - 1, t)] * (l > 0)
    return deps


def dependency_dag_attention(length: int, layers: int) -> dict:
    """Output i of layer l needs every output of layer l-1 (all positions at once)."""
    deps = {}
    for l in range(layers):
        below = [(l - 1, j) for j in range(length)] if l > 0 else []
        for i in range(length):
            deps[(l, i)] = below
    return deps


def critical_path(deps: dict) -> int:
    """Longest chain of nodes in a DAG (inputs are free): the steps that cannot run in parallel."""
    depth: dict = {}

    def visit(node):
        # Iterative DFS: recursion would hit Python's limit on long RNN chains.
        stack = [node]
        while stack:
            n = stack[-1]
            pending = [d for d in deps[n] if d not in depth]
            if pending:
                stack.extend(pending)
            else:
                depth[n] = 1 + max((depth[d] for d in deps[n]), default=0)
                stack.pop()

    for node in deps:
        if node not in depth:
            visit(node)
    return max(depth.values(), default=0)


def sequence_lengths(max_len: int) -> list[int]:
    """About eight evenly spaced lengths ending at max_len, so the axis stays readable."""
    step = max(1, max_len // 8)
    lengths = list(range(step, max_len + 1, step))
    return lengths if lengths[-1] == max_len else lengths + [max_len]


# --- chart kinds -------------------------------------------------------------------------------

def memory_fade(reference, *, seed: int, hidden: int, input_dim: int, steps: int, scale: float) -> ChartData:
    rnn = toy_rnn(seed, hidden, input_dim, steps)
    W_hh = rnn.W_hh(scale)
    hs = forward(reference, rnn.xs, rnn.W_xh, W_hh, rnn.b)
    influence = first_input_influence(hs, rnn.W_xh, W_hh)
    rel = influence / influence[0]
    half = next((t for t, r in enumerate(rel, 1) if r < 0.5), None)
    at_10 = f"; after 10 words it is {rel[9]:.1%} of its starting value" if steps > 10 else ""
    return ChartData(
        name="memory_fade",
        plot="line",
        title="The first word fades from the RNN's memory",
        x_label="words read so far (t)",
        y_label="influence of word 1 on h_t (step 1 = 1)",
        categories=tuple(str(t) for t in range(1, steps + 1)),
        series=(Series("influence of word 1", tuple(float(v) for v in rel)),),
        description=(
            f"How strongly the first word still moves the hidden state of a {hidden}-unit tanh RNN "
            f"as it reads {steps} words. The influence starts at 1"
            + (f", falls below half by word {half}" if half else "")
            + at_10
            + f" and ends at {sci(rel[-1])} at word {steps}."
        ),
        notes=(
            f"Computed, not drawn: a random tanh RNN (seed {seed}, recurrent weights {scale} x orthogonal) "
            "reads random inputs with the reference rnn_step; the curve is the size (spectral norm) of "
            "dh_t/dx_1 by the chain rule. Say: a fixed-size memory keeps being overwritten, so early "
            "words fade."
        ),
    )


def vanishing_gradient(reference, *, seed: int, hidden: int, steps: int, scales: list) -> ChartData:
    rnn = toy_rnn(seed, hidden, GRADIENT_INPUT_DIM, steps)
    series, ratios = [], {}
    for scale in scales:
        W_hh = rnn.W_hh(scale)
        hs = forward(reference, rnn.xs, rnn.W_xh, W_hh, rnn.b)
        norms = bptt_grad_norms(hs, W_hh, hs[-1] - rnn.target)  # L = 1/2 ||h_T - target||^2
        rel = norms / norms[-1]
        # A log axis cannot show 0; only reachable at extreme settings (float64 underflow).
        rel = np.maximum(rel, np.finfo(float).tiny)
        ratios[scale] = rel[0]
        series.append(Series(f"W_hh scale {scale:g}", tuple(float(v) for v in rel)))
    words = "; ".join(
        f"scale {s:g}: {sci(r)} ({'grows' if r > 1 else 'shrinks'})" for s, r in ratios.items()
    )
    return ChartData(
        name="vanishing_gradient",
        plot="line",
        title="Gradients vanish or explode through time",
        x_label="time step t",
        y_label=f"||dL/dh_t|| relative to step {steps}",
        categories=tuple(str(t) for t in range(1, steps + 1)),
        series=tuple(series),
        description=(
            f"Size of the gradient that reaches step t when the error at step {steps} is "
            f"backpropagated through a {hidden}-unit tanh RNN, relative to its size at step {steps}, "
            f"on a log scale. At step 1 it is: {words}."
        ),
        notes=(
            f"Real backpropagation through time in numpy: forward with the reference rnn_step, then "
            f"the chain rule backwards, for recurrent weights = scale x a random orthogonal matrix "
            f"(seed {seed}). Say: small weights make the signal from early words vanish by many "
            "orders of magnitude; large ones make it explode."
        ),
        log_y=True,
        value_format="0.0E+00",
    )


def sequential_steps(reference, *, max_len: int, layers: int) -> ChartData:
    lengths = sequence_lengths(max_len)
    rnn = [critical_path(dependency_dag_rnn(L, layers)) for L in lengths]
    att = [critical_path(dependency_dag_attention(L, layers)) for L in lengths]
    L = lengths[-1]
    return ChartData(
        name="sequential_steps",
        plot="line",
        title="An RNN must wait; attention runs in parallel",
        x_label="sequence length (words)",
        y_label="sequential steps (critical path)",
        categories=tuple(str(n) for n in lengths),
        series=(
            Series(f"RNN ({layers} layer{'s' * (layers > 1)})", tuple(float(v) for v in rnn)),
            Series(f"self-attention ({layers} layer{'s' * (layers > 1)})", tuple(float(v) for v in att)),
        ),
        description=(
            f"Number of steps that must run one after another for sequences of {lengths[0]} to {L} "
            f"words. The RNN needs {rnn[-1]} sequential steps for {L} words (growing with length); "
            f"self-attention needs {att[-1]} at every length."
        ),
        notes=(
            "Counted, not assumed: the longest path in each model's computation dependency graph "
            "(RNN: h_t waits for h_(t-1); self-attention: every output reads all inputs of the layer "
            "below at once). Say: the RNN's steps cannot be spread over a GPU, attention's can."
        ),
        value_format="0",
    )


MEMORY_FADE = ChartKind(
    name="memory_fade",
    doc="How much the first word still influences a tanh RNN's hidden state as the sequence grows.",
    params={
        "seed": Param(int, 0, "Random seed for weights and inputs.", min=0),
        "hidden": Param(int, 16, "Hidden state size (the fixed-size memory).", min=1, max=512),
        "input_dim": Param(int, 8, "Size of each input word vector.", min=1, max=512),
        "steps": Param(int, 20, "Sequence length T (words read).", min=2, max=500),
        "scale": Param(float, 1.0, "Recurrent weights = scale x a random orthogonal matrix.", min=0.0, max=10.0),
    },
    compute=memory_fade,
    needs=("rnn_step",),
)

VANISHING_GRADIENT = ChartKind(
    name="vanishing_gradient",
    doc="Gradient norm reaching each step under backpropagation through time, for several weight scales.",
    params={
        "seed": Param(int, 0, "Random seed for weights, inputs and target.", min=0),
        "hidden": Param(int, 32, "Hidden state size.", min=1, max=512),
        # <= 100 steps and scales <= 10 keep every norm far inside float64 range (10^100 at most).
        "steps": Param(int, 50, "Sequence length T; the error is at step T.", min=2, max=100),
        "scales": Param(list, [0.5, 1.0, 1.5, 3.0], "Recurrent weight scales (x orthogonal); > ~2 explodes.",
                        item=float, min=0.05, max=10.0),
    },
    compute=vanishing_gradient,
    needs=("rnn_step",),
)

SEQUENTIAL_STEPS = ChartKind(
    name="sequential_steps",
    doc="Sequential steps (critical path) of an RNN vs self-attention as the sequence grows.",
    params={
        "max_len": Param(int, 64, "Longest sequence length on the x axis.", min=1, max=128),
        "layers": Param(int, 1, "Stacked layers in each model.", min=1, max=8),
    },
    compute=sequential_steps,
    needs=(),
)
