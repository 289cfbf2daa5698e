"""Peer side of bench_kinf: the same computations with numpy / scipy / sklearn.

  python3 kinf_numpy.py X.npy Xs.npy Y.npy REPS OUTDIR

X: n x d train points, Xs: m x d test points, Y: n x 1 targets. Times (median
of REPS) are printed as `key seconds`; results are saved to OUTDIR for the
comparison of values.
"""
import sys
import time

import numpy as np
import scipy.linalg
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import rbf_kernel


def relu_ntk(X1, X2, depth, beta):
    """NTK parametrization, relu, per output (docs/kernels.md)."""
    d = X1.shape[1]
    S = X1 @ X2.T / d + beta ** 2
    s1 = np.sum(X1 * X1, 1) / d + beta ** 2
    s2 = np.sum(X2 * X2, 1) / d + beta ** 2
    T = S.copy()
    for _ in range(depth):
        nn = np.sqrt(np.outer(s1, s2))
        c = np.clip(S / nn, -1.0, 1.0)
        th = np.arccos(c)
        ea = nn / (2 * np.pi) * (np.sqrt(1 - c * c) + (np.pi - th) * c)
        ed = (np.pi - th) / (2 * np.pi)
        T = (ea + beta ** 2) + ed * T
        S = ea + beta ** 2
        s1 = s1 / 2 + beta ** 2
        s2 = s2 / 2 + beta ** 2
    return T


def timed(fn, reps):
    ts, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def main():
    X, Xs, Y = (np.load(p) for p in sys.argv[1:4])
    reps, out = int(sys.argv[4]), sys.argv[5]
    n = X.shape[0]
    t, K = timed(lambda: relu_ntk(X, X, 3, 0.1), reps)
    print("ntk_relu", t)
    np.save(out + "/py_ntk.npy", K)
    Ks = relu_ntk(Xs, X, 3, 0.1)
    t, G = timed(lambda: rbf_kernel(X, X, gamma=1.0 / (2 * 3.0 ** 2)), reps)
    print("gaussian", t)
    np.save(out + "/py_gauss.npy", G)
    times = np.array([10.0 ** e for e in np.linspace(0, 6, 20)])
    eta = 1.0

    def flow():
        lam, V = scipy.linalg.eigh(K)
        C = V.T @ Y
        preds = []
        for t_ in times:
            g = -np.expm1(-eta * lam * t_ / n) / lam
            preds.append(Ks @ (V @ (g[:, None] * C)))
        return np.stack(preds)

    t, P = timed(flow, reps)
    print("flow_20_times", t)
    np.save(out + "/py_flow.npy", P[:, :, 0])
    t, F = timed(lambda: KernelRidge(alpha=1e-3, kernel="precomputed").fit(K, Y).predict(Ks), reps)
    print("krr", t)
    np.save(out + "/py_krr.npy", F)


if __name__ == "__main__":
    main()
