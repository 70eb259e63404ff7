"""Visible tests for rnn_step.ipynb: students see and run these before submitting.

Each test_<name>(fn) is one grade cell (points in exercise.yaml); fn is the function under test.
tests/test_exercises.py runs them against solution.py.
"""
import numpy as np

from deckc.exercises.checks import call_student, expect_array, expect_close


def test_rnn_step_shape(rnn_step):
    """rnn_step returns a float array of shape (N, H) for a batch of N examples."""
    N, D, H = 3, 5, 4
    x_t = np.linspace(-1.0, 1.0, N * D).reshape(N, D)
    h_prev = np.zeros((N, H))
    W_xh = np.full((D, H), 0.1)
    W_hh = 0.5 * np.eye(H)
    b_h = np.zeros(H)
    h_t = call_student(rnn_step, x_t, h_prev, W_xh, W_hh, b_h)
    expect_array("rnn_step", h_t, shape=(N, H), shape_desc="(N, H)")


def test_rnn_step_worked_example(rnn_step):
    """rnn_step gives the numbers of the worked example."""
    x_t = np.array([[1.0, 2.0]])
    h_prev = np.array([[0.0, 1.0, -1.0]])
    W_xh = np.array([[0.5, 0.0, -0.5],
                     [0.0, 0.5, 0.25]])
    W_hh = 0.5 * np.eye(3)
    b_h = np.array([0.0, 0.0, 0.5])
    h_t = call_student(rnn_step, x_t, h_prev, W_xh, W_hh, b_h)
    h_t = expect_array("rnn_step", h_t, shape=(1, 3), shape_desc="(N, H)")
    expect_close("rnn_step", h_t, np.tanh([[0.5, 1.5, 0.0]]), reveal=True)


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


def test_gradient_norms_linear_case(gradient_norms):
    """gradient_norms gives sqrt(H) * 0.5**k when every h_t is 0 and W_hh = 0.5 * identity."""
    T, H = 5, 3
    hs = np.zeros((T, H))
    W_hh = 0.5 * np.eye(H)
    norms = call_student(gradient_norms, hs, W_hh)
    norms = expect_array("gradient_norms", norms, shape=(T,), shape_desc="(T,)")
    expect_close("gradient_norms", norms, np.sqrt(H) * 0.5 ** np.arange(T), reveal=True)
