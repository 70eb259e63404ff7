"""Visible tests for rnn_step.ipynb: students see and run these before submitting.

Each test_<name>(fn) is one grade cell (points in exercise.yaml); fn is the function under test.
tests/test_exercises.py runs them against solution.py; tests/test_exercises_bugs.py checks that
they catch the common mistakes of tests/bugs/ and name the fix.

The matrices are not symmetric and the states are not zero: `W_hh.T` for `W_hh`, `1 - h` for
`1 - h**2` or an off-by-one in the states must change the numbers these tests compare.
"""
import numpy as np

from deckc.exercises.checks import (call_student, call_student_hinted, expect_array, expect_close,
                                    expect_no_known_mistake)

def test_rnn_step_shape(rnn_step):
    """rnn_step returns a float array of shape (N, H) for a batch of N examples."""
    N, D, H = 3, 5, 4
    x_t = np.linspace(-1.0, 1.0, N * D).reshape(N, D)
    h_prev = np.zeros((N, H))
    W_xh = np.full((D, H), 0.1)
    W_hh = 0.5 * np.eye(H)
    b_h = np.zeros(H)
    h_t = call_student_hinted(
        rnn_step, "x_t is (N, D) and W_xh (D, H), h_prev is (N, H) and W_hh (H, H): compute "
        "x_t @ W_xh + h_prev @ W_hh, batch rows on the left", x_t, h_prev, W_xh, W_hh, b_h)
    expect_array("rnn_step", h_t, shape=(N, H), shape_desc="(N, H)")


def test_rnn_step_worked_example(rnn_step):
    """rnn_step gives the numbers of the worked example (W_hh is not symmetric: W_hh.T gives others)."""
    x_t = np.array([[1.0, 2.0]])
    h_prev = np.array([[0.0, 1.0, -1.0]])
    W_xh = np.array([[0.5, 0.0, -0.5],
                     [0.0, 0.5, 0.25]])
    W_hh = np.array([[0.5, 0.25, 0.0],
                     [0.0, 0.5, 0.0],
                     [0.0, -0.5, 0.5]])
    b_h = np.array([0.0, 0.0, 0.5])
    h_t = call_student_hinted(
        rnn_step, "x_t is (N, D) and W_xh (D, H), h_prev is (N, H) and W_hh (H, H): compute "
        "x_t @ W_xh + h_prev @ W_hh, batch rows on the left", x_t, h_prev, W_xh, W_hh, b_h)
    h_t = expect_array("rnn_step", h_t, shape=(1, 3), shape_desc="(N, H)")
    expect_no_known_mistake("rnn_step", h_t, [
        (np.tanh([[0.75, 1.5, -0.5]]), "it computed h_prev @ W_hh.T (or W_hh @ h_prev); use h_prev @ W_hh: "
                                       "row i of W_hh holds the weights out of h_prev[i]"),
        (np.array([[0.5, 2.0, 0.0]]), "these are the values before the nonlinearity; apply np.tanh to the sum"),
        (np.tanh([[0.5, 2.0, -0.5]]), "the bias b_h is missing; add it before np.tanh"),
    ])
    expect_close("rnn_step", h_t, np.tanh([[0.5, 2.0, 0.0]]), reveal=True)


def test_rnn_forward_shape(rnn_forward):
    """rnn_forward returns every hidden state: shape (T, N, H)."""
    T, N, D, H = 7, 3, 5, 4
    xs = np.linspace(-1.0, 1.0, T * N * D).reshape(T, N, D)
    h0 = np.zeros((N, H))
    W_xh = np.full((D, H), 0.1)
    W_hh = 0.5 * np.eye(H)
    b_h = np.zeros(H)
    hs = call_student(rnn_forward, xs, h0, W_xh, W_hh, b_h)
    expect_array("rnn_forward", hs, shape=(T, N, H), shape_desc="(T, N, H)")


def test_rnn_forward_worked_example(rnn_forward):
    """rnn_forward returns the states after xs[0], xs[1], xs[2], each fed into the next step."""
    xs = np.array([[[1.0, -1.0]], [[0.5, 2.0]], [[-1.0, 0.0]]])   # T = 3, N = 1, D = 2
    h0 = np.array([[0.5, -0.5]])
    W_xh = np.array([[0.5, -0.25], [0.25, 0.5]])
    W_hh = np.array([[0.5, 0.25], [-0.5, 0.5]])
    b_h = np.array([0.1, -0.1])
    hs = call_student(rnn_forward, xs, h0, W_xh, W_hh, b_h)
    hs = expect_array("rnn_forward", hs, shape=(3, 1, 2), shape_desc="(T, N, H)")
    expect_no_known_mistake("rnn_forward", hs, [
        (np.array([[[0.5, -0.5]], [[0.69106947, -0.75089328]], [[0.91718172, 0.51706159]]]),
         "it returned [h0, ..., h_(T-1)]; hs[t] is the state AFTER reading xs[t], so append the new "
         "state (and not h0)"),
        (np.array([[[0.69106947, -0.75089328]], [[0.87405329, 0.57166997]], [[0.09966799, 0.02499479]]]),
         "every step started from h0; feed each new state into the next step (h = rnn_step(x_t, h, ...))"),
        (np.array([[[-0.19731759, 0.56341764]], [[0.91718172, 0.51706159]], [[0.69106947, -0.75089328]]]),
         "the states are in reverse order; hs[0] is the state after xs[0]"),
    ])
    expect_close("rnn_forward", hs, np.array([[[0.69106947, -0.75089328]], [[0.91718172, 0.51706159]],
                                              [[-0.19731759, 0.56341764]]]), reveal=True)


def test_gradient_norms_linear_case(gradient_norms):
    """gradient_norms gives sqrt(H) * 0.5**k when every h_t is 0 and W_hh = 0.5 * identity."""
    T, H = 5, 3
    hs = np.zeros((T, H))
    W_hh = 0.5 * np.eye(H)
    norms = call_student(gradient_norms, hs, W_hh)
    norms = expect_array("gradient_norms", norms, shape=(T,), shape_desc="(T,)")
    expect_close("gradient_norms", norms, np.sqrt(H) * 0.5 ** np.arange(T), reveal=True)


def test_gradient_norms_worked_example(gradient_norms):
    """gradient_norms on non-zero states and a W_hh that is not symmetric (T = 4, H = 2)."""
    hs = np.array([[0.2, -0.4], [0.6, 0.1], [-0.3, 0.8], [0.5, -0.7]])
    W_hh = np.array([[0.9, -0.6], [0.3, 0.4]])
    norms = call_student(gradient_norms, hs, W_hh)
    norms = expect_array("gradient_norms", norms, shape=(4,), shape_desc="(T,)")
    expect_no_known_mistake("gradient_norms", norms, [
        (np.array([1.41421356, 0.85038227, 0.68313789, 0.41275578]),
         "it used W_hh where the one-step Jacobian has W_hh.T: d h_t / d h_(t-1) = diag(1 - h_t**2) @ W_hh.T"),
        (np.array([1.41421356, 0.90148877, 0.45888618, 0.29756690]),
         "the states are off by one: J_t uses h_t itself (hs[t]), the state the step produced, not hs[t-1]"),
        (np.array([1.41421356, 1.31445806, 1.42733215, 0.41781379]),
         "tanh'(a) = 1 - tanh(a)**2 = 1 - h_t**2, not 1 - h_t"),
        (np.array([1.41421356, 0.87530286, 0.69010166, 0.36810494]),
         "hs already holds tanh's outputs: the derivative is 1 - h_t**2, without another np.tanh"),
        (np.array([1.41421356, 0.80093820, 0.56056431, 0.46968927]),
         "the product is in the wrong order: d h_T / d h_(T-k) = J_T @ J_(T-1) @ ...; multiply each new "
         "(earlier) Jacobian on the right: J = J @ J_t"),
        (np.array([0.29071585, 0.62526758, 0.80093820, 1.41421356]),
         "the norms are in reverse order; norms[0] is k = 0, the identity, sqrt(H)"),
    ])
    expect_close("gradient_norms", norms, np.array([1.41421356, 0.80093820, 0.62526758, 0.29071585]),
                 reveal=True)
