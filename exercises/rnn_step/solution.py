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


def rnn_forward(xs, h0, W_xh, W_hh, b_h):
    """Run rnn_step over a whole sequence and return every hidden state.

    xs: (T, N, D) or (T, D); h0: (N, H) or (H,). Returns hs: (T, N, H) or (T, H), where
    hs[t] is the hidden state after reading xs[t] (so hs[-1] is the final state).
    """
    ### BEGIN SOLUTION
    h = np.asarray(h0, dtype=float)
    hs = []
    for x_t in xs:
        h = rnn_step(x_t, h, W_xh, W_hh, b_h)
        hs.append(h)
    return np.stack(hs)
    ### END SOLUTION


def gradient_norms(hs, W_hh):
    """How much the last hidden state still depends on earlier ones: watch the gradient vanish.

    hs: (T, H) hidden states of one sequence (as returned by rnn_forward, unbatched); W_hh: (H, H).
    Returns norms (T,): norms[k] = Frobenius norm of the Jacobian d h_T / d h_(T-k), where h_T = hs[-1].
    norms[0] = sqrt(H) (the identity), and each step back multiplies by the one-step Jacobian
    d h_t / d h_(t-1) = diag(1 - h_t**2) @ W_hh.T.
    """
    ### BEGIN SOLUTION
    hs = np.asarray(hs, dtype=float)
    T, H = hs.shape
    J = np.eye(H)
    norms = [np.linalg.norm(J)]
    for t in range(T - 1, 0, -1):
        J = J @ (np.diag(1.0 - hs[t] ** 2) @ W_hh.T)
        norms.append(np.linalg.norm(J))
    return np.array(norms)
    ### END SOLUTION
