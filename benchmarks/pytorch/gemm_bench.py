#!/usr/bin/python3
"""PyTorch's float32 GEMM on this machine: the comparison point for GemmBenchmark.

Times torch.mm on M x K @ K x N float32 (default 1024^3) with torch.set_num_threads(t) for each
t in --threads, and prints GFLOP/s (2 M N K operations per call) as the best and the median of
--repeats timed batches, each batch long enough (>= --min-seconds) to swamp timer resolution.

Run: /usr/bin/python3 benchmarks/pytorch/gemm_bench.py [--shape 1024x1024x1024] [--threads 1,2]
(the shape is MxKxN like GemmBenchmark's).

Which BLAS? Debian's python3-torch does its float32 GEMM through whatever libblas.so.3 the
system resolves: the netlib reference BLAS (libblas3, a few GFLOP/s) unless OpenBLAS is the
chosen alternative. The script prints the BLAS library loaded. To measure against OpenBLAS
without changing the system's alternatives, unpack the package and point the loader at it:
    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
    LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 ...
OpenBLAS keeps its own thread pool, which this torch build does not resize, so the script also
calls openblas_set_num_threads(t) when OpenBLAS is the library loaded.
"""
import ctypes
import argparse
import statistics
import time

import torch


def loaded_blas():
    """Paths of the BLAS shared objects mapped into this process."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted(paths)


def set_blas_threads(threads):
    for path in loaded_blas():
        if "openblas" in path:
            lib = ctypes.CDLL(path)
            if hasattr(lib, "openblas_set_num_threads"):
                lib.openblas_set_num_threads(threads)


def bench(m, k, n, threads, repeats, min_seconds):
    torch.set_num_threads(threads)
    set_blas_threads(threads)
    g = torch.Generator().manual_seed(7)
    a = torch.rand(m, k, generator=g, dtype=torch.float32) * 2 - 1
    b = torch.rand(k, n, generator=g, dtype=torch.float32) * 2 - 1
    out = torch.empty(m, n, dtype=torch.float32)
    flop = 2.0 * m * n * k
    for _ in range(3):  # warm-up: thread pool start, first-touch of out
        torch.mm(a, b, out=out)
    rates = []
    for _ in range(repeats):
        calls = 0
        t0 = time.perf_counter()
        while True:
            torch.mm(a, b, out=out)
            calls += 1
            dt = time.perf_counter() - t0
            if dt >= min_seconds:
                break
        rates.append(flop * calls / dt / 1e9)
    return max(rates), statistics.median(rates)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default="1024x1024x1024", help="MxKxN")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--min-seconds", type=float, default=0.5)
    args = p.parse_args()
    m, k, n = (int(x) for x in args.shape.lower().split("x"))
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads the BLAS library
    print(f"torch {torch.__version__}; BLAS loaded: {', '.join(loaded_blas()) or 'none found'}")
    for t in (int(x) for x in args.threads.split(",")):
        best, median = bench(m, k, n, t, args.repeats, args.min_seconds)
        print(f"torch.mm float32 {m}x{k}x{n} threads={t}: best {best:.1f} GFLOP/s, median {median:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
