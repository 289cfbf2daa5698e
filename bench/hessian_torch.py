#!/usr/bin/python3
"""PyHessian-style top-k loss-Hessian eigenvalues in PyTorch, the peer of
bench/bench_hessian.c (which runs this script and compares).

Reads DIR/X.npy (n x d), DIR/Y.npy (n x k), DIR/W<l>.npy (dense weights,
out x in, no bias) written by bench_hessian; the network is the NTK-
parametrized ReLU MLP  z_l = W_l a_{l-1} / sqrt(fan_in), a_l = relu(z_l),
linear output; loss L = (1/n) sum_i 1/2 ||f_i - y_i||^2 (widelab's MSE).

Hessian-vector products by double backward through a gradient graph built
once (as PyHessian does); top-k eigenpairs by power iteration with deflation
(PyHessian's `eigenvalues`): for each pair, orthogonalize against the pairs
already found, stop when ||H v - lambda v|| <= tol * |lambda| (widelab's
Lanczos stops on ||H v - lambda v|| <= tol * lambda_1; against lambda_1 a
random vector of the near-zero bulk would pass at once here, so each pair is
measured against its own eigenvalue, at most lambda_1/lambda_k times
stricter), or with --criterion pyhessian when the relative eigenvalue change
is below tol (PyHessian's own rule). float64, --threads threads.

Writes DIR/torch_eigs.npy (k) and DIR/torch_stats.npy
[median seconds, hvps per run, max residual / lambda_1, runs, median CPU seconds].
"""
import argparse
import math
import os
import statistics
import sys
import time

import numpy as np
import torch


def load(d):
    X = torch.from_numpy(np.load(os.path.join(d, "X.npy")))
    Y = torch.from_numpy(np.load(os.path.join(d, "Y.npy")))
    Ws, l = [], 0
    while os.path.exists(os.path.join(d, "W%d.npy" % l)):
        Ws.append(torch.from_numpy(np.load(os.path.join(d, "W%d.npy" % l))).clone().requires_grad_(True))
        l += 1
    return X, Y, Ws


def forward(X, Ws):
    a = X
    for i, W in enumerate(Ws):
        z = a @ W.t() / math.sqrt(W.shape[1])
        a = torch.relu(z) if i + 1 < len(Ws) else z
    return a


def top_k(X, Y, Ws, k, tol, criterion, max_iter, seed):
    n = X.shape[0]
    F = forward(X, Ws)
    loss = 0.5 * ((F - Y) ** 2).sum() / n
    grads = torch.autograd.grad(loss, Ws, create_graph=True)
    hvps = [0]

    def hvp(v):
        hvps[0] += 1
        hv = torch.autograd.grad(grads, Ws, grad_outputs=v, retain_graph=True)
        return [h.detach() for h in hv]

    def dot(a, b):
        return sum((x * y).sum() for x, y in zip(a, b))

    def normalize(v):
        s = math.sqrt(float(dot(v, v)))
        return [x / s for x in v]

    def orth(v, basis):
        for u in basis:
            c = dot(v, u)
            v = [x - c * y for x, y in zip(v, u)]
        return v

    gen = torch.Generator().manual_seed(seed)
    eigs, vecs, resids, lam1 = [], [], [], None
    for j in range(k):
        v = normalize(orth([torch.randn(W.shape, generator=gen, dtype=torch.float64) for W in Ws], vecs))
        lam_prev = None
        for it in range(max_iter):
            Hv = hvp(v)
            lam = float(dot(Hv, v))
            r = math.sqrt(float(sum(((h - lam * x) ** 2).sum() for h, x in zip(Hv, v))))
            if criterion == "residual":
                # relative to the pair's own eigenvalue: measured against lambda_1 a
                # random vector in the (near-zero) bulk would pass at once
                done = r <= tol * abs(lam)
            else:
                done = lam_prev is not None and abs(lam - lam_prev) / (abs(lam_prev) + 1e-6) < tol
            if done:
                break
            lam_prev = lam
            v = normalize(orth(Hv, vecs))
        print("  pair %d: lambda %.6g after %d iterations (%d hvps so far), residual/|lambda| %.2e%s"
              % (j + 1, lam, it + 1, hvps[0], r / abs(lam), "" if done else " (iteration cap)"),
              file=sys.stderr, flush=True)
        if lam1 is None:
            lam1 = abs(lam)
        eigs.append(lam)
        vecs.append(v)
        resids.append(r / lam1)
    return np.array(eigs), hvps[0], max(resids)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--criterion", choices=["residual", "pyhessian"], default="residual")
    ap.add_argument("--max-iter", type=int, default=0, help="0: 100 (pyhessian) or 3000 (residual)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.max_iter == 0:
        a.max_iter = 100 if a.criterion == "pyhessian" else 3000
    torch.set_num_threads(a.threads)
    torch.set_default_dtype(torch.float64)
    X, Y, Ws = load(a.dir)
    times, cpus = [], []
    for rep in range(a.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        eigs, nhvp, maxres = top_k(X, Y, Ws, a.k, a.tol, a.criterion, a.max_iter, a.seed + rep)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        print("torch run %d: %.3f s (cpu %.3f s), %d hvps, max residual/lambda_1 %.2e"
              % (rep, times[-1], cpus[-1], nhvp, maxres), file=sys.stderr)
    np.save(os.path.join(a.dir, "torch_eigs.npy"), eigs)
    np.save(os.path.join(a.dir, "torch_stats.npy"),
            np.array([statistics.median(times), float(nhvp), maxres, float(a.reps),
                      statistics.median(cpus)]))


if __name__ == "__main__":
    main()
