#!/usr/bin/python3
"""Trace NTK of an NTK-parametrized ReLU MLP with functorch (the peer of
widelab's structured kernel in bench_ntk.c).

    ntk_functorch.py X.npy WDIR OUT.npy REPS THREADS CHUNK

X.npy: n x d inputs. WDIR: one .npy per dense weight, named like the PyTorch
state_dict of the equivalent nn.Sequential ("0.weight.npy", "2.weight.npy",
...; out x in, no biases). The layer computes z = a W^T / sqrt(fan_in)
(NTK parametrization); ReLU between layers, the last layer linear.

The kernel K = sum_c J_c J_c^T (n x n) is built chunk by chunk: Jacobians of a
chunk of points by vmap(jacrev(f)) (functorch's per-sample Jacobian), then
contracted against every later chunk by matmuls of the flattened
chunk x (k p_l) per-parameter Jacobians (one triangle, mirrored). (torch 1.13's einsum
"iaf,jaf->ij" materializes a broadcast product of tens of GiB here.)
Prints the median wall time over REPS runs and writes K to OUT.npy (float64).
"""
import math
import os
import resource
import sys
import time

import numpy as np
import torch
from functorch import jacrev, make_functional, vmap


class NTKLinear(torch.nn.Module):
    """z = a W^T / sqrt(fan_in), W ~ N(0, 1): widelab's NTK dense layer."""

    def __init__(self, w):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.from_numpy(w))
        self.scale = 1.0 / math.sqrt(w.shape[1])

    def forward(self, a):
        return torch.nn.functional.linear(a, self.weight) * self.scale


def build(wdir):
    names = sorted((f for f in os.listdir(wdir) if f.endswith(".weight.npy")),
                   key=lambda f: int(f.split(".")[0]))
    layers = []
    for i, f in enumerate(names):
        layers.append(NTKLinear(np.load(os.path.join(wdir, f)).astype(np.float64)))
        if i + 1 < len(names):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).double()


def trace_ntk(fnet, params, X, chunk):
    def f_single(p, x):
        return fnet(p, x.unsqueeze(0)).squeeze(0)

    jac = vmap(jacrev(f_single), (None, 0))

    def flat(js):  # per-parameter (chunk x k x shape) -> views chunk x (k p_l)
        return [j.flatten(1) for j in js]

    n = X.shape[0]
    K = torch.zeros(n, n, dtype=torch.float64)
    starts = list(range(0, n, chunk))
    for a in starts:
        ja = flat(jac(params, X[a:a + chunk]))  # per parameter: chunk x (k p_l)
        for b in starts:
            if b < a:
                continue
            jb = ja if b == a else flat(jac(params, X[b:b + chunk]))
            with torch.no_grad():
                blk = sum(u @ v.T for u, v in zip(ja, jb))  # sum over outputs and parameters
            K[a:a + chunk, b:b + chunk] = blk
            K[b:b + chunk, a:a + chunk] = blk.T
            del jb
        del ja
    return K


def main():
    xpath, wdir, out, reps, threads, chunk = sys.argv[1:7]
    torch.set_num_threads(int(threads))
    X = torch.from_numpy(np.load(xpath).astype(np.float64))
    net = build(wdir)
    fnet, params = make_functional(net)
    # plain tensors: the Jacobians come from functorch's transforms, and a
    # contraction of grad-requiring tensors would keep every chunk's Jacobian
    # alive in an autograd graph
    params = tuple(p.detach() for p in params)
    times = []
    for _ in range(int(reps)):
        t0 = time.perf_counter()
        K = trace_ntk(fnet, params, X, int(chunk))
        times.append(time.perf_counter() - t0)
    np.save(out, K.detach().numpy())
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rss = ru.ru_maxrss * 1024
    print("functorch_times", " ".join("%.6f" % t for t in times))
    print("functorch_median %.6f" % float(np.median(times)))
    print("functorch_maxrss %d" % rss)


if __name__ == "__main__":
    main()
