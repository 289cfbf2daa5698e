#!/usr/bin/python3
"""Euclidean k-means on Fashion-MNIST, side by side: widelab (bench_cluster)
and scikit-learn KMeans (algorithm='lloyd', float64), same n, k, n_init,
max_iter, tol and thread count; the runs alternate and medians are reported.

  bench/cluster_sklearn.py [--bench build/bench_cluster] [--n 60000] [--k 10]
                           [--n-init 1] [--max-iter 100] [--tol 0] [--reps 5]
                           [--threads 2]

tol: widelab stops on a relative objective change <= tol, scikit-learn on a
centre shift <= tol * mean variance; both stop when no label changes, so
tol = 0 (the default here) makes the two run the same Lloyd iterations.
"""
import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def load_fmnist(n):
    path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as f:
        raw = f.read()
    X = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)
    return (X[:n].astype(np.float64) / 255.0).copy()


def run_widelab(args, rep):
    cmd = [args.bench, str(args.n), str(args.k), str(args.n_init), str(args.max_iter), "1",
           str(args.threads), repr(args.tol), str(rep)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_sklearn(args, X, rep):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=args.threads):
        km = KMeans(n_clusters=args.k, n_init=args.n_init, max_iter=args.max_iter, tol=args.tol,
                    algorithm="lloyd", random_state=rep)
        t0, c0 = time.perf_counter(), time.process_time()
        km.fit(X)
        t, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"tool": "sklearn", "rep": rep, "seconds": t, "cpu": cpu, "inertia": float(km.inertia_),
            "iterations": int(km.n_iter_)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bench_cluster")
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--n-init", type=int, default=1)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--tol", type=float, default=0.0)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    X = load_fmnist(args.n)
    rows = {"widelab": [], "sklearn": []}
    for rep in range(args.reps):
        for tool in ("widelab", "sklearn"):
            r = run_widelab(args, rep) if tool == "widelab" else run_sklearn(args, X, rep)
            r["per_iter"] = r["seconds"] / max(1, r["iterations"])
            rows[tool].append(r)
            print(json.dumps(r), file=sys.stderr)
    med = {t: {key: statistics.median(r[key] for r in rs)
               for key in ("seconds", "cpu", "per_iter", "inertia", "iterations")}
           for t, rs in rows.items()}
    print(f"Fashion-MNIST n={args.n} d=784 k={args.k} n_init={args.n_init} "
          f"max_iter={args.max_iter} tol={args.tol} threads={args.threads} reps={args.reps}")
    for t in ("widelab", "sklearn"):
        m = med[t]
        print(f"  {t:8s} median {m['seconds']:.3f} s (cpu {m['cpu']:.3f} s)  "
              f"{m['per_iter'] * 1e3:.1f} ms/iter  "
              f"iterations {m['iterations']:.0f}  inertia {m['inertia']:.6g}")
    print(f"  time ratio widelab/sklearn {med['widelab']['seconds'] / med['sklearn']['seconds']:.3f}"
          f"  cpu ratio {med['widelab']['cpu'] / med['sklearn']['cpu']:.3f}"
          f"  per-iteration ratio {med['widelab']['per_iter'] / med['sklearn']['per_iter']:.3f}"
          f"  inertia ratio {med['widelab']['inertia'] / med['sklearn']['inertia']:.5f}")


if __name__ == "__main__":
    main()
