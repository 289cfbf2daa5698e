#!/usr/bin/python3
"""Side-by-side transport timings: widelab (bench_ot) against POT.

    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/ot_pot.py \
        --bench build/bench_ot --sizes 2000 5000 --exact-max 2000 --reps 5

Both sides use the same points (written by bench_ot), the same cost
C = ||x - y||^2 / max C, uniform marginals, the same eps, tolerance 1e-9 on
||P^T 1 - b||_2 checked every 10 iterations, at most 1000 iterations, float64.
Times are medians over --reps runs; the cost is <P, C>.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import ot


def med_time(fn, reps):
    ts, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


def run(bench, n, d, eps, reps, exact):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [bench, str(n), str(n), str(d), str(eps), str(reps), tmp] + (["exact"] if exact else [])
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wl = {r["solver"]: r for r in map(json.loads, res.stdout.splitlines())}
        X = np.fromfile(os.path.join(tmp, "X.bin")).reshape(n, d)
        Y = np.fromfile(os.path.join(tmp, "Y.bin")).reshape(n, d)
    a = np.full(n, 1.0 / n)
    b = np.full(n, 1.0 / n)
    t_cost, M = med_time(lambda: ot.dist(X, Y), reps)
    M /= M.max()
    rows = [("cost matrix", n, wl["cost"]["seconds"], t_cost, None, None)]
    t_sk, P = med_time(lambda: ot.sinkhorn(a, b, M, eps, numItermax=1000, stopThr=1e-9), reps)
    rows.append(("sinkhorn eps=%g" % eps, n, wl["sinkhorn"]["seconds"], t_sk,
                 wl["sinkhorn"]["cost"], float(np.sum(P * M))))
    if exact:
        t_emd, G = med_time(lambda: ot.emd(a, b, M, numItermax=10_000_000), reps)
        rows.append(("exact (emd)", n, wl["emd"]["seconds"], t_emd, wl["emd"]["cost"],
                     float(np.sum(G * M))))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bench_ot")
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000])
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--eps", type=float, nargs="+", default=[0.01])
    ap.add_argument("--exact-max", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    print("POT %s, numpy %s, threads OMP=%s BLAS=%s" % (ot.__version__, np.__version__,
          os.environ.get("OMP_NUM_THREADS"), os.environ.get("OPENBLAS_NUM_THREADS")))
    print("%-18s %6s %12s %12s %8s %12s" % ("solver", "n=m", "widelab s", "POT s", "POT/wl",
                                             "cost diff"))
    for n in args.sizes:
        for k, eps in enumerate(args.eps):
            for name, nn, tw, tp, cw, cp in run(args.bench, n, args.d, eps, args.reps,
                                                exact=(k == 0 and n <= args.exact_max)):
                if k > 0 and name == "cost matrix":
                    continue
                diff = "" if cw is None else "%.2e" % abs(cw - cp)
                print("%-18s %6d %12.4f %12.4f %8.2f %12s" % (name, nn, tw, tp, tp / tw, diff),
                      flush=True)


if __name__ == "__main__":
    main()
