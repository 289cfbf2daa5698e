"""PyTorch side of bench_optim: the same runs as the C program, float64,
the same thread count. Prints one line per measurement: NAME MEDIAN_SECONDS VALUE."""
import gzip
import sys
import time

import numpy as np
import torch


def load(path, n):
    with gzip.open(path, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return raw.reshape(-1, 784)[:n].astype(np.float64) / 255.0


def labels(path, n):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n].astype(np.int64)


def median_time(fn, reps):
    ts, val = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        val = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), val


def main():
    ddir, n, batch, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 2)
    X = torch.from_numpy(load(ddir + "/train-images-idx3-ubyte.gz", n))
    y = torch.from_numpy(labels(ddir + "/train-labels-idx1-ubyte.gz", n))
    d, k = 784, 10
    lr, gamma, eta2 = 0.1, 0.9, 0.02

    def loss_fn(W, b, xb, yb):  # mean softmax cross-entropy of x W^T + b
        return torch.nn.functional.cross_entropy(xb @ W.T + b, yb)

    def epoch(kind):
        W = torch.zeros(k, d, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
        if kind == "sgd":
            opt = torch.optim.SGD([W, b], lr=lr)
        for s in range(0, n, batch):
            xb, yb = X[s:s + batch], y[s:s + batch]
            if kind == "sgd":
                opt.zero_grad()
                loss_fn(W, b, xb, yb).backward()
                opt.step()
            else:  # MaSS by hand: gradient at u, w' = u - lr g, u = (1+g) w' - g w + eta2 g
                if s == 0:
                    uW, ub = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
                    wW, wb = W.detach().clone(), b.detach().clone()
                gW, gb = torch.autograd.grad(loss_fn(uW, ub, xb, yb), (uW, ub))
                with torch.no_grad():
                    nW, nb = uW - lr * gW, ub - lr * gb
                    uW.copy_((1 + gamma) * nW - gamma * wW + eta2 * gW)
                    ub.copy_((1 + gamma) * nb - gamma * wb + eta2 * gb)
                    wW, wb = nW, nb
        if kind == "mass":
            W, b = wW, wb
        with torch.no_grad():
            return loss_fn(W, b, X, y).item()

    W0 = 0.01 * torch.sin(torch.arange(k * d, dtype=torch.float64)).reshape(k, d)
    b0 = torch.zeros(k, dtype=torch.float64)
    vfull = 1e-2 * torch.cos(torch.arange(k * d + k, dtype=torch.float64))
    V, vb = vfull[:k * d].reshape(k, d), vfull[k * d:]

    def grad():
        W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
        gW, gb = torch.autograd.grad(loss_fn(W, b, X, y), (W, b))
        return float(gW.norm() ** 2 + gb.norm() ** 2) ** 0.5

    def hvp():
        W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
        gW, gb = torch.autograd.grad(loss_fn(W, b, X, y), (W, b), create_graph=True)
        hW, hb = torch.autograd.grad((gW * V).sum() + (gb * vb).sum(), (W, b))
        return float((hW * V).sum() + (hb * vb).sum())

    for name, fn in (("sgd_epoch", lambda: epoch("sgd")), ("mass_epoch", lambda: epoch("mass")),
                     ("grad_full", grad), ("hvp_full", hvp)):
        t, v = median_time(fn, reps)
        print(f"{name} {t:.6f} {v:.12g}", flush=True)


if __name__ == "__main__":
    main()
