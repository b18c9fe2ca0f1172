#!/usr/bin/python3
"""PyTorch implementations of weft's LightGCN, HMA-Rec and CRANE training step: the comparison
points for the guard's StepBenchmark and for per-epoch times.

The models are weft's (models/src/main/java/weft/models/{LightGcn,HmaRec,Crane}.java and
docs/models.md) with their defaults: d = 64, 3 LightGCN layers, reg 1e-4 (MMRec's EmbLoss),
standardised features; HMA-Rec with T = 4 tokens, 4 heads, all three levels and the InfoNCE
alignment (weight 0.01, tau 0.2, content scale 1); CRANE with R = 2 recursion steps, 4 heads,
profiles, the frozen FREEDOM item graph (k = 10, one hop) and the contrast (0.01, tau 0.2).
Same layers and parameter shapes (checked with --verify against weft's own values), same loss
terms, the content of all items computed in every batch as weft does. A step is what weft's
Trainer runs: zero the gradients, the batch's loss, backward, Adam (lr 1e-3).

Modes:
  default     one training step of each model at the guard's two shapes (the datasets written by
              weft's generator with weft.bench.guard.Shapes' settings; `lastfm` 1,858 x 1,425 with
              128-d and 384-d modalities, `shortvideo` 9,308 x 6,710 with two 128-d), always on
              epoch 0's first batch of 2,048 triples, as StepBenchmark: 3 warm-up and 5 measured
              windows of 1 s, one line per (model, shape), milliseconds per step (JMH's ms/op).
  --data DIR  full training epochs (every batch of the epoch, with negative sampling; no
              evaluation) on a real dataset folder; prints each epoch's seconds.
  --verify D  loads the parameters and the batch dumped by verify_dump.jsh (weft's own model at
              its seed) into the PyTorch model and prints both losses and their difference.

Run (quiet machine; PyTorch on OpenBLAS with its own kernel choice, OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset for this command only; see shapes_bench.py for unpacking OpenBLAS):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 benchmarks/pytorch/seed_steps.py [--threads 2] [--models lightgcn,hmarec,crane] \\
            [--shapes lastfm,shortvideo] [--attention torch|manual] [--quick]
    # epochs on Last.fm-2K (text + audio, in the order weft's README gives them):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
        LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread \\
        /usr/bin/python3 benchmarks/pytorch/seed_steps.py --data ../shared/data/lastfm-2k \\
            --modality text=all-MiniLM-L6-v2.npy --modality audio=vggish.npy --epochs 3
The step mode takes about 1.5-2 minutes in full (6 lines of 8 windows of at least 1 s, plus
setup); --quick (1 warm-up and 2 windows of 0.2 s; one epoch with --data) about 20-30 s. On
Last.fm-2K an epoch is 22 batches; 3 epochs of the three models take about 2 minutes.
--attention torch (default) uses torch.nn.MultiheadAttention; manual the hand-written module of
weft_data.ManualAttention (same parameters). --spmm picks how the sparse products run: csr
(default, torch.sparse.mm on CSR tensors, as lightgcn.py), coo (MMRec's form) or csrt (CSR with
each matrix's transpose made once for the backward; see weft_data.spmm); quote the fastest.
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import weft_data as wd


def xavier_table(n_users, n_items, dim):
    """weft's Embeddings.idTable: one [U+I, d] table, each block Xavier uniform with its own shape."""
    t = torch.empty(n_users + n_items, dim)
    torch.nn.init.xavier_uniform_(t[:n_users])
    torch.nn.init.xavier_uniform_(t[n_users:])
    return torch.nn.Parameter(t)


def linear(n_in, n_out, bias=True):
    """weft's Linear: W [out, in] Xavier uniform, b zero."""
    lin = torch.nn.Linear(n_in, n_out, bias=bias)
    torch.nn.init.xavier_uniform_(lin.weight)
    if bias:
        torch.nn.init.zeros_(lin.bias)
    return lin


def lin_order(lin):
    return [(lin.weight, None)] + ([(lin.bias, None)] if lin.bias is not None else [])


def ln_order(ln):
    return [(ln.weight, None), (ln.bias, None)]


class GraphModel(torch.nn.Module):
    """What weft's GraphRecommender holds: sizes, A_hat, D_u^-1 R, the ID table, and the loss
    Bpr.withEmbLoss: BPR on the final embeddings + reg * (||e_u|| + ||e_p|| + ||e_n||) / B on the
    batch's layer-0 rows."""

    def __init__(self, d, dim=64, layers=3, reg=1e-4):
        super().__init__()
        self.U, self.I, self.dim, self.layers, self.reg = d.n_users, d.n_items, dim, layers, reg
        self.adj = wd.normalized_adjacency(d)
        self.user_mean = wd.user_mean(d)
        self.emb = xavier_table(self.U, self.I, dim)

    def layer_mean(self, e0):
        e, acc = e0, e0
        for _ in range(self.layers):
            e = wd.spmm(self.adj, e)
            acc = acc + e
        return acc / (self.layers + 1) if self.layers else acc

    def bpr_emb_loss(self, final, u, p, n):
        p, n = p + self.U, n + self.U
        eu = final[u]
        bpr = -F.logsigmoid((eu * final[p]).sum(1) - (eu * final[n]).sum(1)).mean()
        emb = self.emb
        return bpr + self.reg * (emb[u].norm() + emb[p].norm() + emb[n].norm()) / len(u)


class LightGCN(GraphModel):
    def loss(self, u, p, n):
        return self.bpr_emb_loss(self.layer_mean(self.emb), u, p, n)

    def weft_order(self):
        return [(self.emb, None)]


class HmaRec(GraphModel):
    """weft's HmaRec with its defaults (see its class comment and docs/models.md)."""

    def __init__(self, d, attention="torch", tokens=4, heads=4, cl_weight=0.01, cl_temp=0.2, content_scale=1.0, **kw):
        super().__init__(d, **kw)
        self.T, self.cl_weight, self.cl_temp, self.a = tokens, cl_weight, cl_temp, content_scale
        self.features = [wd.standardize(x) for x in d.modalities.values()]
        mha = (lambda: wd.TorchAttention(self.dim, heads)) if attention == "torch" else \
            (lambda: wd.ManualAttention(self.dim, heads))
        m, dim = len(self.features), self.dim
        self.tokenize = torch.nn.ModuleList(linear(x.shape[1], tokens * dim, bias=False) for x in self.features)
        self.pos = torch.nn.ParameterList(torch.nn.Parameter(torch.randn(1, tokens * dim) * 0.02) for _ in range(m))
        self.intra = torch.nn.ModuleList(mha() for _ in range(m))
        self.intra_norm = torch.nn.ModuleList(torch.nn.LayerNorm(dim, eps=1e-5) for _ in range(m))
        self.cross = torch.nn.ModuleList(mha() for _ in range(m))
        self.cross_norm = torch.nn.ModuleList(torch.nn.LayerNorm(dim, eps=1e-5) for _ in range(m))
        self.gates = torch.nn.ModuleList(linear(2 * dim, dim) for _ in range(m))

    def weft_order(self):
        out = [(self.emb, None)]
        for k in range(len(self.features)):
            out += lin_order(self.tokenize[k]) + [(self.pos[k], None)]
            out += self.intra[k].weft_order() + ln_order(self.intra_norm[k])
            out += self.cross[k].weft_order() + ln_order(self.cross_norm[k]) + lin_order(self.gates[k])
        return out

    def content(self):
        """Levels 1-3 for all items: the fused c [I, d] and each modality's c^m."""
        mods, I, T, dim = len(self.features), self.I, self.T, self.dim
        id_token = self.emb[self.U:]
        h = []
        for m in range(mods):
            tok = (self.tokenize[m](self.features[m]) + self.pos[m]).view(I, T, dim)     # [I*T, d] rows
            h.append(self.intra_norm[m](tok + self.intra[m](tok, tok, tok)))
        c = []
        for m in range(mods):
            kv = torch.cat([h[o] for o in range(mods) if o != m or mods == 1] + [id_token.unsqueeze(1)], 1)
            tok = self.cross_norm[m](h[m] + self.cross[m](h[m], kv, kv))
            c.append(tok.mean(1))
        fused = sum(torch.sigmoid(self.gates[m](torch.cat([c[m], id_token], 1))) * c[m] for m in range(mods))
        return (fused / mods if mods > 1 else fused), c

    def loss(self, u, p, n):
        fused, per = self.content()
        item_content = self.a * F.normalize(fused, dim=1, eps=1e-12)
        user_content = wd.spmm(self.user_mean, item_content)
        final = self.layer_mean(self.emb) + torch.cat([user_content, item_content], 0)
        loss = self.bpr_emb_loss(final, u, p, n)
        if self.cl_weight > 0 and len(per) > 1:
            items = torch.unique(p)
            cl, pairs = 0, 0
            for x in range(len(per)):
                for y in range(x + 1, len(per)):
                    za, zb = per[x][items], per[y][items]
                    cl = cl + wd.info_nce(za, zb, self.cl_temp) + wd.info_nce(zb, za, self.cl_temp)
                    pairs += 1
            loss = loss + cl * (self.cl_weight / (2 * pairs))
        return loss


class Crane(GraphModel):
    """weft's Crane with its defaults (see its class comment and docs/models.md)."""

    def __init__(self, d, attention="torch", rca_steps=2, heads=4, cl_weight=0.01, cl_temp=0.2, knn_k=10,
                 item_layers=1, content_scale=1.0, **kw):
        super().__init__(d, **kw)
        self.R, self.cl_weight, self.cl_temp, self.item_layers, self.a = rca_steps, cl_weight, cl_temp, item_layers, content_scale
        self.features = [wd.standardize(x) for x in d.modalities.values()]
        self.item_graph = wd.freedom_item_graph(self.features, knn_k)
        m, dim = len(self.features), self.dim
        self.proj = torch.nn.ModuleList(linear(x.shape[1], dim) for x in self.features)
        self.joint = linear(m * dim, dim)
        self.attention = wd.TorchAttention(dim, heads) if attention == "torch" else wd.ManualAttention(dim, heads)
        self.norm = torch.nn.LayerNorm(dim, eps=1e-5)
        self.out = linear(m * dim, dim)

    def weft_order(self):
        out = [(self.emb, None)]
        for lin in self.proj:
            out += lin_order(lin)
        return out + lin_order(self.joint) + self.attention.weft_order() + ln_order(self.norm) + lin_order(self.out)

    def semantics(self):
        mods = len(self.features)
        v = [self.proj[m](self.features[m]) for m in range(mods)]
        j = self.joint(v[0] if mods == 1 else torch.cat(v, 1))
        for _ in range(self.R):
            nxt = []
            for m in range(mods):
                kv = torch.stack([j] + [v[o] for o in range(mods) if o != m or mods == 1], 1)   # [I, Tk, d]
                q = v[m].unsqueeze(1)                                                          # [I, 1, d]
                nxt.append(self.norm(v[m] + self.attention(q, kv, kv).squeeze(1)))
            v = nxt
        s = self.out(v[0] if mods == 1 else torch.cat(v, 1))
        return self.a * F.normalize(s, dim=1, eps=1e-12)

    def loss(self, u, p, n):
        s = self.semantics()
        users = self.emb[:self.U] + wd.spmm(self.user_mean, s)
        items = self.emb[self.U:] + s
        z = self.layer_mean(torch.cat([users, items], 0))
        hi = items
        for _ in range(self.item_layers):
            hi = wd.spmm(self.item_graph, hi)
        h = torch.cat([wd.spmm(self.user_mean, hi), hi], 0)
        final = torch.cat([z[:self.U], z[self.U:] + hi], 0)
        loss = self.bpr_emb_loss(final, u, p, n)
        if self.cl_weight > 0:
            us, it = torch.unique(u), torch.unique(p) + self.U
            cl = wd.info_nce(z[us], h[us], self.cl_temp) + wd.info_nce(z[it], h[it], self.cl_temp)
            loss = loss + self.cl_weight * cl
        return loss


MODELS = {"lightgcn": LightGCN, "hmarec": HmaRec, "crane": Crane}


def build(name, d, attention):
    torch.manual_seed(2024)
    return MODELS[name](d) if name == "lightgcn" else MODELS[name](d, attention=attention)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def step_fn(model, opt, batch):
    u, p, n = batch

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(u, p, n)
        loss.backward()
        opt.step()
        return loss
    return step


def verify(folder, a):
    """Loads weft's dumped parameters and batch (verify_dump.jsh) and compares the losses."""
    meta = dict(line.rstrip("\n").split("=", 1) for line in open(os.path.join(folder, "meta.txt")))
    mods = meta["modalities"].split(",") if meta.get("modalities") else None
    d = wd.load_folder(meta["data"], [f"{m}" for m in mods] if mods else None)
    print(f"# {d}")
    model = build(meta["model"], d, a.attention)
    order = model.weft_order()
    files = sorted(f for f in os.listdir(folder) if f.startswith("param_"))
    if len(files) != len(order):
        raise SystemExit(f"weft has {len(files)} parameter tensors, the PyTorch model {len(order)}")
    total = 0
    with torch.no_grad():
        for f, (dest, sl) in zip(files, order):
            x = torch.from_numpy(np.load(os.path.join(folder, f)).astype(np.float32))
            target = dest if sl is None else dest[sl]
            if x.numel() != target.numel():
                raise SystemExit(f"{f}: weft {tuple(x.shape)} vs PyTorch {tuple(target.shape)}")
            target.copy_(x.reshape(target.shape))
            total += x.numel()
    batch = [torch.from_numpy(np.load(os.path.join(folder, f"batch_{k}.npy")).reshape(-1).astype(np.int64)) for k in ("users", "pos", "neg")]
    print(f"{meta['model']}: {len(files)} parameter tensors, {total} values in weft, {n_params(model)} in PyTorch "
          f"({'equal' if total == n_params(model) else 'DIFFERENT'})")
    losses = []
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for k in range(2):   # the batch's loss, then again after one Adam step on it
        opt.zero_grad(set_to_none=True)
        loss = model.loss(*batch)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    weft = [float(x) for x in meta["losses"].split(",")]
    for k, (w, t) in enumerate(zip(weft, losses)):
        print(f"{meta['model']}: loss {'before' if k == 0 else 'after one Adam step'}: weft {w:.7f}, "
              f"PyTorch {t:.7f}, |diff| {abs(w - t):.2e} (relative {abs(w - t) / abs(w):.1e})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", default="lightgcn,hmarec,crane")
    ap.add_argument("--shapes", default="lastfm,shortvideo")
    ap.add_argument("--shape-data", default="/tmp/weft-shapes", help="where the generated shape datasets live")
    ap.add_argument("--attention", choices=["torch", "manual"], default="torch")
    ap.add_argument("--spmm", choices=wd.SPMM_MODES, default="csr",
                    help="csr: torch.sparse.mm on CSR; coo: on COO (MMRec's form); csrt: CSR with a transpose made once for the backward")
    ap.add_argument("--data", help="a dataset folder: time full training epochs instead of steps")
    ap.add_argument("--modality", action="append", help="NAME=FILE.npy in --data (repeatable; default image_feat.npy, text_feat.npy)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--window-seconds", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true", help="1 warm-up + 2 windows of 0.2 s (one epoch with --data): a smoke test")
    ap.add_argument("--verify", help="a folder written by verify_dump.jsh")
    a = ap.parse_args()
    if a.quick:
        a.warmup, a.windows, a.window_seconds, a.epochs = 1, 2, 0.2, 1
    wd.setup_threads(a.threads)
    wd.spmm_mode = a.spmm
    for line in wd.describe_runtime(a.threads):
        print("#", line)
    print(f"# attention: {'torch.nn.MultiheadAttention' if a.attention == 'torch' else 'hand-written (weft_data.ManualAttention)'}; "
          f"spmm: {a.spmm}", flush=True)
    if a.verify:
        verify(a.verify, a)
        return
    models = a.models.split(",")

    if a.data:
        d = wd.load_folder(a.data, a.modality)
        print(f"# {d}; batch {a.batch}, {(len(d.train_u) + a.batch - 1) // a.batch} batches per epoch", flush=True)
        for name in models:
            model = build(name, d, a.attention)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            batches = wd.Batches(d, a.batch, seed=2024)
            times = []
            for ep in range(a.epochs):
                t0 = time.perf_counter()
                total = 0.0
                for batch in batches.epoch():
                    total += step_fn(model, opt, batch)().item()
                times.append(time.perf_counter() - t0)
                print(f"{name:<9} {d.name:<12} epoch {ep}: train {times[-1]:.3f} s, loss sum {total:.4f}", flush=True)
            rest = times[1:] or times
            print(f"{name:<9} {d.name:<12} {n_params(model)} parameters; epoch seconds: median {np.median(rest):.3f} s "
                  f"(epochs {'1..' if len(times) > 1 else '0..'}{len(times) - 1}), first {times[0]:.3f} s", flush=True)
        return

    print(f"# {a.warmup} warm-up + {a.windows} measured windows of {a.window_seconds} s; "
          "score = median window (min, max), milliseconds per step")
    print(f"{'Benchmark':<24} {'(model)':<9} {'(shape)':<11} {'Score':>10} {'Units':<6} {'(min .. max)':<22} parameters  first-loss")
    for shape in a.shapes.split(","):
        d = wd.shape_data(shape, a.shape_data)
        print(f"# {shape}: {d}", flush=True)
        batch = next(wd.Batches(d, a.batch, seed=2024).epoch())   # epoch 0's first batch, every call
        for name in models:
            model = build(name, d, a.attention)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            step = step_fn(model, opt, batch)
            first = step().item()
            med, lo, hi = wd.summary(wd.timed(step, a.warmup, a.windows, a.window_seconds), 1e-3)
            print(f"{'StepBenchmark.step':<24} {name:<9} {shape:<11} {med:>10.2f} {'ms/op':<6} {f'({lo:.2f} .. {hi:.2f})':<22} "
                  f"{n_params(model):<11} {first:.4f}", flush=True)


if __name__ == "__main__":
    main()
