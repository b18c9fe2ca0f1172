#!/usr/bin/env python3
"""Replays weft's LightGCN training (trajectory_dump.jsh) in PyTorch: same initial table, same
batches, the loss of benchmarks/pytorch/lightgcn.py, torch.optim.Adam. Compares the first batch's
gradient (BPR part, EmbLoss part, total) and the tables after every epoch. A gradient scaled wrongly
would not show in a one-step loss check (Adam's first step is lr * sign(g)); it shows here.

Usage: /usr/bin/python3 benchmarks/pytorch/lightgcn_trajectory.py --data ../shared/data/lastfm-2k --dump /tmp/traj [--double]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--double", action="store_true", help="replay in float64 (weft stays float32)")
    ap.add_argument("--reg", type=float, default=1e-4)
    ap.add_argument("--layers", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    dt = torch.float64 if a.double else torch.float32
    import lightgcn as ref
    u, i, lab = ref.load_inter(a.data)
    n_users, n_items = int(u.max()) + 1, int(i.max()) + 1
    tu, ti = u[lab == 0], i[lab == 0]
    rows = np.concatenate([tu, ti + n_users])
    cols = np.concatenate([ti + n_users, tu])
    deg = np.bincount(rows, minlength=n_users + n_items).astype(np.float64)
    dinv = np.where(deg > 0, deg ** -0.5, 0.0)
    adj = torch.sparse_coo_tensor(torch.tensor(np.stack([rows, cols])), torch.tensor(dinv[rows] * dinv[cols], dtype=dt),
                                  (n_users + n_items,) * 2).coalesce()
    meta = dict(l.strip().split("=") for l in open(os.path.join(a.dump, "meta.txt")))
    epochs, bs, per = int(meta["epochs"]), int(meta["batch"]), int(meta["pairs_per_epoch"])
    emb = torch.nn.Parameter(torch.from_numpy(np.load(os.path.join(a.dump, "init.npy"))).to(dt))
    trip = np.load(os.path.join(a.dump, "batches.npy")).astype(np.int64)

    def parts(b):
        e, acc = emb, emb
        for _ in range(a.layers):
            e = torch.sparse.mm(adj, e)
            acc = acc + e
        acc = acc / (a.layers + 1)
        bu, bp, bn = [torch.tensor(x) for x in (b[:, 0], b[:, 1] + n_users, b[:, 2] + n_users)]
        eu = acc[bu]
        mf = -torch.log(1e-10 + torch.sigmoid((eu * acc[bp]).sum(1) - (eu * acc[bn]).sum(1))).mean()
        reg = (torch.norm(emb[bu]) + torch.norm(emb[bp]) + torch.norm(emb[bn])) / len(b)
        return mf, a.reg * reg

    b0 = trip[:bs]
    for name, pick in (("bpr", lambda m, r: m), ("reg", lambda m, r: r), ("", lambda m, r: m + r)):
        emb.grad = None
        m, r = parts(b0)
        pick(m, r).backward()
        g = emb.grad.double().numpy()
        w = np.load(os.path.join(a.dump, f"grad0{'_' + name if name else ''}.npy")).astype(np.float64)
        rel = np.linalg.norm(w - g) / np.linalg.norm(g)
        ratio = (w * g).sum() / (g * g).sum()
        print(f"grad of batch 0 {name or 'total':5s}: |weft - torch| / |torch| = {rel:.2e}, projection ratio weft/torch = {ratio:.6f}, "
              f"|torch| = {np.linalg.norm(g):.4e}")
    emb.grad = None
    opt = torch.optim.Adam([emb], lr=1e-3)
    k = 0
    for e in range(epochs):
        for s in range(0, per, bs):
            b = trip[k + s: k + min(s + bs, per)]
            opt.zero_grad()
            m, r = parts(b)
            (m + r).backward()
            opt.step()
        k += per
        w = np.load(os.path.join(a.dump, f"after_{e:03d}.npy")).astype(np.float64)
        t = emb.detach().double().numpy()
        w0 = np.load(os.path.join(a.dump, "init.npy")).astype(np.float64)
        print(f"after epoch {e}: |weft - torch| / |torch - init| = {np.linalg.norm(w - t) / np.linalg.norm(t - w0):.2e}, "
              f"max |weft - torch| = {np.abs(w - t).max():.2e}, |weft - init| / |torch - init| = "
              f"{np.linalg.norm(w - w0) / np.linalg.norm(t - w0):.6f}")


if __name__ == "__main__":
    main()
