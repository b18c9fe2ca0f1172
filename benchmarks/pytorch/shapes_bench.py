#!/usr/bin/python3
"""PyTorch at the JMH guard's kernel shapes: the comparison points for ShapeBenchmark and
InfoNceBenchmark (benchmarks/src/main/java/weft/bench/guard).

What is timed, per shape (`lastfm`: 1,858 users, 1,425 items; `shortvideo`: 9,308 users, 6,710
items; the datasets written by weft's generator with the guard's settings, d = 64, 4 heads,
T = 4 tokens):
  attentionForward           HMA-Rec's level-1 self-attention over every item's 4 tokens at once
                             ([I*4, 64] rows = [I, 4, 64] sequences), no autograd (torch.no_grad,
                             module in eval mode, as when scoring)
  attentionForwardBackward   the same in training mode, then backward of a fixed upstream gradient
                             [I*4, 64] (gradients of the 4 projections and of the input)
    each in two implementations: `nn.MultiheadAttention` (batch_first, bias, dropout 0) and
    `manual` (four nn.Linear Q/K/V/O, head split, softmax(Q K^T / sqrt(16)) V, head merge, the
    same ops weft's MultiHeadAttention composes), and on torch >= 2 also `sdpa`
    (F.scaled_dot_product_attention between the same four projections);
  spmmForwardBackward        A_hat E over the (U+I) x (U+I) normalised interaction graph (E
                             [U+I, 64] requiring grad), then backward of a fixed upstream gradient
                             [U+I, 64], three ways: `csr` torch.sparse.mm on a CSR A_hat (its
                             backward transposes A_hat in every call), `coo` on a COO A_hat (MMRec's
                             form), `csrt` on CSR with the backward's A_hat^T made once (a small
                             autograd.Function: what a tuned PyTorch model would do);
  InfoNceBenchmark           (shape-independent) InfoNCE at batch 2048, d = 64, tau = 0.2, both views
                             requiring grad: row L2 normalisation, the 2048 x 2048 logits
                             n(z1) n(z2)^T / tau, cross-entropy against the diagonal, backward.
Gradients are set to None before each call (weft zeroes them: same work for the kernels).
Timing mirrors the guard's JMH settings: 3 warm-up windows and 5 measured windows of 1 s, one
line per benchmark with the median window's microseconds per call (min and max after it), in
JMH's units (us/op), so the two outputs can be put side by side.

Run (quiet machine; PyTorch on OpenBLAS with its own kernel choice: OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset for this command only):
    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas   # once
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 benchmarks/pytorch/shapes_bench.py [--threads 2] [--shapes lastfm,shortvideo]
            [--only attention|spmm|infonce] [--shape-data /tmp/weft-shapes] [--quick]
Without the LD_LIBRARY_PATH, Debian's torch uses the netlib reference BLAS (libblas3) and the
script warns. The first run writes the two datasets under --shape-data with weft's generator
(needs models/target built: mvn -q -B -ntp -DskipTests -pl models -am package). A full run takes
about 2.5 minutes (17 benchmarks x 8 s plus setup); --quick (1 warm-up and 2 measured windows of
0.2 s) takes about 15 s and is for checking that the script runs, not for figures.
"""
import argparse
import torch
import torch.nn.functional as F

import weft_data as wd


def attention_impls():
    impls = [("nn.MultiheadAttention", lambda: wd.TorchAttention(wd.DIM, wd.HEADS)),
             ("manual", lambda: wd.ManualAttention(wd.DIM, wd.HEADS))]
    if hasattr(F, "scaled_dot_product_attention"):
        impls.append(("sdpa", lambda: wd.ManualAttention(wd.DIM, wd.HEADS, fused_core=True)))
    return impls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shapes", default="lastfm,shortvideo")
    ap.add_argument("--only", choices=["attention", "spmm", "infonce"], action="append",
                    help="run only these groups (repeatable)")
    ap.add_argument("--shape-data", default="/tmp/weft-shapes", help="where the generated shape datasets live")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--window-seconds", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true", help="1 warm-up + 2 windows of 0.2 s: a smoke test")
    a = ap.parse_args()
    if a.quick:
        a.warmup, a.windows, a.window_seconds = 1, 2, 0.2
    groups = set(a.only or ["attention", "spmm", "infonce"])
    wd.setup_threads(a.threads)
    for line in wd.describe_runtime(a.threads):
        print("#", line)
    print(f"# {a.warmup} warm-up + {a.windows} measured windows of {a.window_seconds} s; "
          "score = median window (min, max), microseconds per call", flush=True)
    print(f"{'Benchmark':<44} {'(shape)':<11} {'impl':<22} {'Score':>12} {'Units':<6} {'(min .. max)'}")

    def report(name, shape, impl, fn):
        med, lo, hi = wd.summary(wd.timed(fn, a.warmup, a.windows, a.window_seconds), 1e-6)
        print(f"{name:<44} {shape:<11} {impl:<22} {med:>12.1f} {'us/op':<6} ({lo:.1f} .. {hi:.1f})", flush=True)

    for shape in a.shapes.split(","):
        if not groups & {"attention", "spmm"}:
            break
        d = wd.shape_data(shape, a.shape_data)
        print(f"# {shape}: {d}", flush=True)
        users, items = d.n_users, d.n_items
        g = torch.Generator().manual_seed(3)

        if "attention" in groups:
            x = torch.randn(items, wd.TOKENS, wd.DIM, generator=g)            # [I*4, 64] rows as [I, 4, 64]
            up = torch.randn(items, wd.TOKENS, wd.DIM, generator=g)
            for impl, make in attention_impls():
                torch.manual_seed(3)
                mha = make()
                params = list(mha.parameters())
                xg = x.clone().requires_grad_(True)

                def fwd():
                    with torch.no_grad():
                        return mha(x, x, x)

                def fwd_bwd():
                    for p in params:
                        p.grad = None
                    xg.grad = None
                    mha(xg, xg, xg).backward(up)
                    return xg.grad

                mha.eval()
                report("ShapeBenchmark.attentionForward", shape, impl, fwd)
                mha.train()
                report("ShapeBenchmark.attentionForwardBackward", shape, impl, fwd_bwd)

        if "spmm" in groups:
            adj = wd.normalized_adjacency(d)
            nodes = (torch.randn(users + items, wd.DIM, generator=g) * 0.1).requires_grad_(True)
            up = torch.randn(users + items, wd.DIM, generator=g)
            for mode in wd.SPMM_MODES:
                def spmm():
                    nodes.grad = None
                    wd.spmm(adj, nodes, mode).backward(up)
                    return nodes.grad

                report("ShapeBenchmark.spmmForwardBackward", shape, f"torch.sparse.mm {mode}", spmm)

    if "infonce" in groups:
        g = torch.Generator().manual_seed(9)
        z1 = torch.randn(2048, wd.DIM, generator=g).requires_grad_(True)
        z2 = torch.randn(2048, wd.DIM, generator=g).requires_grad_(True)

        def nce():
            z1.grad = None
            z2.grad = None
            wd.info_nce(z1, z2, 0.2).backward()
            return z2.grad

        report("InfoNceBenchmark.forwardBackward", "-", "F.cross_entropy", nce)


if __name__ == "__main__":
    main()
