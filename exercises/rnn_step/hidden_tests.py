"""Hidden tests for rnn_step.ipynb: they run at grading time only.

Each test_<name>(fn, inputs, expected) is one grade cell (points in exercise.yaml). At build time
deckc calls inputs_<name>(rng) with a fixed seed, runs the reference solution on the inputs
(expected = solution.<fn>(**inputs)), and embeds inputs and expected inside the cell's hidden
part: they never reach the release. tests/test_exercises.py runs these against solution.py.
"""
import numpy as np

from deckc.exercises.checks import call_student, expect_array, expect_close


def _weights(rng, D, H):
    return {"W_xh": 0.5 * rng.standard_normal((D, H)),
            "W_hh": 0.5 * rng.standard_normal((H, H)),
            "b_h": 0.1 * rng.standard_normal(H)}


def inputs_rnn_step_batch(rng):
    N, D, H = 6, 5, 4
    return {"x_t": rng.standard_normal((N, D)), "h_prev": np.tanh(rng.standard_normal((N, H))),
            **_weights(rng, D, H)}


def test_rnn_step_batch(rnn_step, inputs, expected):
    """rnn_step matches the reference solution on a random batch."""
    h_t = call_student(rnn_step, *inputs.values())
    h_t = expect_array("rnn_step", h_t, shape=expected.shape, shape_desc="(N, H)")
    expect_close("rnn_step", h_t, expected)


def inputs_rnn_step_unbatched(rng):
    D, H = 5, 4
    return {"x_t": rng.standard_normal(D), "h_prev": np.tanh(rng.standard_normal(H)), **_weights(rng, D, H)}


def test_rnn_step_unbatched(rnn_step, inputs, expected):
    """rnn_step accepts a single example: x_t (D,), h_prev (H,) -> h_t (H,)."""
    h_t = call_student(rnn_step, *inputs.values())
    h_t = expect_array("rnn_step with x_t of shape (D,)", h_t, shape=expected.shape, shape_desc="(H,)")
    expect_close("rnn_step with x_t of shape (D,)", h_t, expected)


def inputs_rnn_forward_sequence(rng):
    T, N, D, H = 9, 2, 3, 4
    return {"xs": rng.standard_normal((T, N, D)), "h0": np.tanh(rng.standard_normal((N, H))),
            **_weights(rng, D, H)}


def test_rnn_forward_sequence(rnn_forward, inputs, expected):
    """rnn_forward matches the reference solution on a random batch of sequences."""
    hs = call_student(rnn_forward, *inputs.values())
    hs = expect_array("rnn_forward", hs, shape=expected.shape, shape_desc="(T, N, H)")
    expect_close("rnn_forward", hs, expected)


def inputs_rnn_forward_unbatched(rng):
    T, D, H = 6, 3, 4
    return {"xs": rng.standard_normal((T, D)), "h0": np.zeros(H), **_weights(rng, D, H)}


def test_rnn_forward_unbatched(rnn_forward, inputs, expected):
    """rnn_forward accepts one sequence: xs (T, D), h0 (H,) -> hs (T, H)."""
    hs = call_student(rnn_forward, *inputs.values())
    hs = expect_array("rnn_forward with xs of shape (T, D)", hs, shape=expected.shape, shape_desc="(T, H)")
    expect_close("rnn_forward with xs of shape (T, D)", hs, expected)


def inputs_gradient_norms_random(rng):
    T, H = 10, 5
    return {"hs": np.tanh(1.5 * rng.standard_normal((T, H))), "W_hh": 0.6 * rng.standard_normal((H, H))}


def test_gradient_norms_random(gradient_norms, inputs, expected):
    """gradient_norms matches the reference solution on random hidden states."""
    norms = call_student(gradient_norms, *inputs.values())
    norms = expect_array("gradient_norms", norms, shape=expected.shape, shape_desc="(T,)")
    expect_close("gradient_norms", norms, expected)
