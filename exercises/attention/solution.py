"""Reference solution: single-head scaled dot-product attention.

This file is the single implementation deckc uses everywhere: the lesson's charts
call it, the nbgrader notebook's solution cell is cut from it, and the hidden
tests' reference outputs are computed by running it.
"""
import numpy as np


def softmax(z, axis=-1):
    """Numerically stable softmax along `axis` (subtracts the max first, so 1e4 logits stay finite)."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


def attention(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d)) V, with masked-out positions (mask False) given weight 0.

    Q: (..., Lq, d); K: (..., Lk, d); V: (..., Lk, dv); mask: bool, broadcastable to (..., Lq, Lk),
    True = may attend. Returns (out, weights): out (..., Lq, dv), weights (..., Lq, Lk).
    """
    ### BEGIN SOLUTION
    Q = np.asarray(Q, dtype=float)
    K = np.asarray(K, dtype=float)
    V = np.asarray(V, dtype=float)
    d = Q.shape[-1]
    logits = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d)
    if mask is not None:
        # A large negative (not -inf) keeps fully-masked rows finite instead of NaN.
        logits = np.where(mask, logits, -1e30)
    weights = softmax(logits, axis=-1)
    if mask is not None:
        weights = np.where(mask, weights, 0.0)
    return weights @ V, weights
    ### END SOLUTION


def self_attention(X, W_q, W_k, W_v, mask=None):
    """Self-attention: every position of X attends to every position of X.

    X: (..., L, d_model); W_q, W_k: (d_model, d); W_v: (d_model, dv); mask as in attention,
    broadcastable to (..., L, L). Projects Q = X W_q, K = X W_k, V = X W_v and returns
    attention(Q, K, V, mask): (out (..., L, dv), weights (..., L, L)).
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    return attention(X @ W_q, X @ W_k, X @ W_v, mask)
    ### END SOLUTION
