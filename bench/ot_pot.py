#!/usr/bin/python3
"""Side-by-side transport timings: widelab (bench_ot) against POT.

    OMP_WAIT_POLICY=passive OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
        /usr/bin/python3 bench/ot_pot.py \
        --bench build/bench_ot --sizes 2000 5000 --exact-max 2000 --reps 5

On a shared machine OMP_WAIT_POLICY=passive stops idle OpenMP threads from
spinning against the BLAS threads (it changes nothing for POT).
Both sides use the same points (written by bench_ot), the same cost
C = ||x - y||^2 / max C, uniform marginals, the same eps, tolerance 1e-9 on
||P^T 1 - b||_2 checked every 10 iterations, at most 1000 iterations, float64.
Times are medians over --reps runs, the two tools interleaved run by run;
the cost is <P, C>; iters = Sinkhorn iterations widelab/POT.
"""
import argparse
import warnings
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import ot


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(bench, n, d, eps, reps, exact):
    """Interleaves the two tools rep by rep (C, then POT), so that load on a
    shared machine hits both alike; medians over reps."""
    wl_rows, pot = [], {"cost": [], "sinkhorn": [], "emd": []}
    a = np.full(n, 1.0 / n)
    sk = emd = None
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(reps):
            cmd = [bench, str(n), str(n), str(d), str(eps), "1", tmp] + (["exact"] if exact else [])
            res = subprocess.run(cmd, check=True, capture_output=True, text=True)
            wl_rows.append({r["solver"]: r for r in map(json.loads, res.stdout.splitlines())})
            X = np.fromfile(os.path.join(tmp, "X.bin")).reshape(n, d)
            Y = np.fromfile(os.path.join(tmp, "Y.bin")).reshape(n, d)
            t, M = timed(lambda: ot.dist(X, Y))
            pot["cost"].append(t)
            M /= M.max()
            t, sk = timed(lambda: ot.sinkhorn(a, a, M, eps, numItermax=1000, stopThr=1e-9, log=True))
            pot["sinkhorn"].append(t)
            if exact:
                t, emd = timed(lambda: ot.emd(a, a, M, numItermax=10_000_000))
                pot["emd"].append(t)
    med = statistics.median

    def wl(solver, key="seconds"):
        return med([r[solver][key] for r in wl_rows])

    P, log = sk
    rows = [("cost matrix", n, wl("cost"), med(pot["cost"]), None, None, "")]
    rows.append(("sinkhorn eps=%g" % eps, n, wl("sinkhorn"), med(pot["sinkhorn"]),
                 wl_rows[-1]["sinkhorn"]["cost"], float(np.sum(P * M)),
                 "%d/%d" % (wl_rows[-1]["sinkhorn"]["iters"], log["niter"] + 1)))
    if exact:
        rows.append(("exact (emd)", n, wl("emd"), med(pot["emd"]), wl_rows[-1]["emd"]["cost"],
                     float(np.sum(emd * M)), ""))
    return rows


def main():
    warnings.filterwarnings("ignore", category=UserWarning)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="build/bench_ot")
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000])
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--eps", type=float, nargs="+", default=[0.02, 0.01])
    ap.add_argument("--exact-max", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    print("POT %s, numpy %s, threads OMP=%s BLAS=%s" % (ot.__version__, np.__version__,
          os.environ.get("OMP_NUM_THREADS"), os.environ.get("OPENBLAS_NUM_THREADS")))
    print("%-18s %6s %12s %12s %8s %12s %10s" % ("solver", "n=m", "widelab s", "POT s", "POT/wl",
                                                  "cost diff", "iters"))
    for n in args.sizes:
        for k, eps in enumerate(args.eps):
            for name, nn, tw, tp, cw, cp, its in run(args.bench, n, args.d, eps, args.reps,
                                                     exact=(k == 0 and n <= args.exact_max)):
                if k > 0 and name == "cost matrix":
                    continue
                diff = "" if cw is None else "%.2e" % abs(cw - cp)
                print("%-18s %6d %12.4f %12.4f %8.2f %12s %10s" % (name, nn, tw, tp, tp / tw, diff,
                                                                    its), flush=True)


if __name__ == "__main__":
    main()
