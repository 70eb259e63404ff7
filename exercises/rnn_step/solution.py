"""Reference solution: one step of a vanilla tanh RNN.

This file is the single implementation deckc uses everywhere: the lesson's charts
call it, the nbgrader notebook's solution cell is cut from it, and the hidden
tests' reference outputs are computed by running it.
"""
import numpy as np


def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    """h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h).

    x_t: (N, D) or (D,); h_prev: (N, H) or (H,); W_xh: (D, H); W_hh: (H, H); b_h: (H,).
    Returns h_t with the batch shape of the inputs: (N, H), or (H,) when unbatched.
    """
    ### BEGIN SOLUTION
    x_t = np.asarray(x_t, dtype=float)
    h_prev = np.asarray(h_prev, dtype=float)
    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
    ### END SOLUTION
