#!/usr/bin/env python3
"""PyTorch CPU reference for LightGCN and BPR-MF under weft's (= MMRec's) protocol.

The yardstick for `weft train`: same data, same split, same loss (BPR + reg * EmbLoss, the
MMRec form: Frobenius norms of the batch's layer-0 rows, not squared, divided by the batch size),
same sampler (one negative per positive, uniform over the items seen in training and not in the
user's training set), Adam lr 1e-3, batch 2048, Xavier uniform (LightGCN) / normal (BPR-MF)
initialisation, full-ranking evaluation on valid every epoch with training items masked, early
stopping after `--patience` epochs without a better valid Recall@20 (as weft's --patience; MMRec's
early_stopping stops only when that count exceeds stopping_step = 20, which is --patience 21 here),
test metrics of the best epoch. Checked against MMRec's code (enoche/MMRec: models/lightgcn.py,
common/loss.py, common/trainer.py, utils/dataloader.py, utils/utils.py) in docs/models.md, section 2. Prints one line per epoch with train and eval seconds, and writes a JSON report.

Usage: /usr/bin/python3 benchmarks/pytorch/lightgcn.py --data ../shared/data/amazon-baby \
           [--model lightgcn|bprmf] [--threads 2] [--epochs 1000] [--patience 20] [--report out.json]
"""
import argparse
import glob
import json
import math
import os
import random
import time

import numpy as np
import torch

KS = (5, 10, 20, 50)


def load_inter(folder):
    files = glob.glob(os.path.join(folder, "*.inter"))
    if len(files) != 1:
        raise SystemExit(f"expected one .inter file in {folder}, found {len(files)}")
    with open(files[0]) as f:
        header = f.readline().rstrip("\n").split("\t")
        cu, ci, cl = header.index("userID"), header.index("itemID"), header.index("x_label")
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    u = np.array([int(r[cu]) for r in rows], dtype=np.int64)
    i = np.array([int(r[ci]) for r in rows], dtype=np.int64)
    lab = np.array([int(r[cl]) for r in rows], dtype=np.int64)
    return u, i, lab


def metrics_at(topk_hits, n_truth):
    """topk_hits: [users, maxK] bool; n_truth: [users] int. Returns sums over users."""
    out = {}
    hits = topk_hits.float()
    cum = hits.cumsum(1)
    ranks = torch.arange(1, hits.shape[1] + 1, dtype=torch.float64)
    disc = 1.0 / torch.log2(ranks + 1)
    for k in KS:
        h = cum[:, k - 1].double()
        out[f"Recall@{k}"] = (h / n_truth).sum().item()
        out[f"Precision@{k}"] = (h / k).sum().item()
        out[f"Hit@{k}"] = (h > 0).double().sum().item()
        dcg = (hits[:, :k].double() * disc[:k]).sum(1)
        idcg_len = torch.clamp(n_truth, max=k).long()
        idcg = torch.cumsum(disc[:k], 0)[idcg_len - 1]
        out[f"NDCG@{k}"] = (dcg / idcg).sum().item()
        prec = cum[:, :k].double() / ranks[:k]
        out[f"MAP@{k}"] = ((prec * hits[:, :k].double()).sum(1) / torch.clamp(n_truth, max=k)).sum().item()
    return out


class Model(torch.nn.Module):
    def __init__(self, kind, n_users, n_items, dim, layers, adj):
        super().__init__()
        self.kind, self.n_users, self.layers, self.adj = kind, n_users, layers, adj
        self.user = torch.nn.Parameter(torch.empty(n_users, dim))
        self.item = torch.nn.Parameter(torch.empty(n_items, dim))
        init = torch.nn.init.xavier_uniform_ if kind == "lightgcn" else torch.nn.init.xavier_normal_
        init(self.user)
        init(self.item)

    def forward(self):
        if self.kind == "bprmf":
            return self.user, self.item
        e = torch.cat([self.user, self.item], 0)
        acc = e
        for _ in range(self.layers):
            e = torch.sparse.mm(self.adj, e)
            acc = acc + e
        acc = acc / (self.layers + 1)
        return acc[: self.n_users], acc[self.n_users:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", default="lightgcn", choices=["lightgcn", "bprmf"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--patience", type=int, default=20)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--reg", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--eval-batch", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--report")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    random.seed(a.seed)

    u, i, lab = load_inter(a.data)
    n_users, n_items = int(u.max()) + 1, int(i.max()) + 1
    tu, ti = u[lab == 0], i[lab == 0]
    train_sets = [set() for _ in range(n_users)]
    for x, y in zip(tu, ti):
        train_sets[x].add(int(y))
    train_items = np.unique(ti)

    # D^-1/2 A D^-1/2 of the bipartite graph.
    rows = np.concatenate([tu, ti + n_users])
    cols = np.concatenate([ti + n_users, tu])
    deg = np.bincount(rows, minlength=n_users + n_items).astype(np.float64)
    dinv = np.where(deg > 0, deg ** -0.5, 0.0)
    vals = dinv[rows] * dinv[cols]
    adj = torch.sparse_coo_tensor(torch.tensor(np.stack([rows, cols])), torch.tensor(vals, dtype=torch.float32),
                                  (n_users + n_items, n_users + n_items)).coalesce().to_sparse_csr()

    def truth(label):
        d = {}
        for x, y in zip(u[lab == label], i[lab == label]):
            d.setdefault(int(x), []).append(int(y))
        return d

    valid, test = truth(1), truth(2)
    mask_rows = torch.tensor(tu)
    mask_cols = torch.tensor(ti)

    model = Model(a.model, n_users, n_items, a.dim, a.layers, adj)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)

    def evaluate(gt):
        users = sorted(gt)
        sums = {}
        with torch.no_grad():
            ue, ie = model()
            pos = {x: k for k, x in enumerate(users)}
            for s in range(0, len(users), a.eval_batch):
                bu = users[s: s + a.eval_batch]
                scores = ue[bu] @ ie.T
                sel = torch.isin(mask_rows, torch.tensor(bu))
                rr = torch.tensor([pos[int(x)] - s for x in mask_rows[sel]])
                scores[rr, mask_cols[sel]] = -math.inf
                top = torch.topk(scores, max(KS), dim=1).indices
                truth_mat = torch.zeros(len(bu), n_items, dtype=torch.bool)
                for r, x in enumerate(bu):
                    truth_mat[r, gt[x]] = True
                hits = torch.gather(truth_mat, 1, top)
                n_truth = torch.tensor([len(gt[x]) for x in bu], dtype=torch.float64)
                for k, v in metrics_at(hits, n_truth).items():
                    sums[k] = sums.get(k, 0.0) + v
        return {k: v / len(users) for k, v in sums.items()}

    n = len(tu)
    best, best_epoch, best_valid, best_state, bad = -1.0, -1, None, None, 0
    epochs = []
    for ep in range(a.epochs):
        t0 = time.perf_counter()
        perm = np.random.permutation(n)
        total = 0.0
        model.train()
        for s in range(0, n, a.batch):
            idx = perm[s: s + a.batch]
            bu, bp = tu[idx], ti[idx]
            neg = np.empty(len(idx), dtype=np.int64)
            for k, x in enumerate(bu):
                j = int(train_items[random.randrange(len(train_items))])
                while j in train_sets[x]:
                    j = int(train_items[random.randrange(len(train_items))])
                neg[k] = j
            bu_t, bp_t, bn_t = torch.tensor(bu), torch.tensor(bp), torch.tensor(neg)
            ue, ie = model()
            eu, ep_, en = ue[bu_t], ie[bp_t], ie[bn_t]
            mf = -torch.log(1e-10 + torch.sigmoid((eu * ep_).sum(1) - (eu * en).sum(1))).mean()
            if a.model == "lightgcn":
                r0, p0, n0 = model.user[bu_t], model.item[bp_t], model.item[bn_t]
            else:
                r0, p0, n0 = eu, ep_, en
            reg = (torch.norm(r0) + torch.norm(p0) + torch.norm(n0)) / len(idx)
            loss = mf + a.reg * reg
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        t1 = time.perf_counter()
        v = evaluate(valid)
        t2 = time.perf_counter()
        epochs.append({"epoch": ep, "loss": total, "train_seconds": t1 - t0, "eval_seconds": t2 - t1,
                       "valid": {"Recall@20": v["Recall@20"], "NDCG@20": v["NDCG@20"]}})
        print(f"epoch {ep:4d} loss {total:.4f} train {t1 - t0:.2f}s eval {t2 - t1:.2f}s "
              f"valid R@20 {v['Recall@20']:.4f} N@20 {v['NDCG@20']:.4f}", flush=True)
        if v["Recall@20"] > best:
            best, best_epoch, best_valid, bad = v["Recall@20"], ep, v, 0
            best_state = {k: t.detach().clone() for k, t in model.state_dict().items()}
        else:
            bad += 1
            if bad >= a.patience:
                break
    model.load_state_dict(best_state)
    t = evaluate(test)
    print(f"best epoch {best_epoch}: valid R@20 {best_valid['Recall@20']:.4f} N@20 {best_valid['NDCG@20']:.4f}; "
          f"test R@20 {t['Recall@20']:.4f} N@20 {t['NDCG@20']:.4f}")
    if a.report:
        with open(a.report + ".tmp", "w") as f:
            json.dump({"model": a.model, "dataset": os.path.basename(os.path.normpath(a.data)),
                       "best_epoch": best_epoch, "valid": best_valid, "test": t, "epochs": epochs,
                       "config": vars(a), "torch": torch.__version__, "threads": a.threads}, f, indent=1)
        os.replace(a.report + ".tmp", a.report)


if __name__ == "__main__":
    main()
