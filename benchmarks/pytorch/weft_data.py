"""What shapes_bench.py and seed_steps.py share: weft's datasets and graphs in PyTorch form, the
BLAS report, and the timer.

Datasets are read as weft reads them (weft.models.data.Dataset): an MMRec `.inter` file (integer
ids index the tables directly, sized max id + 1; x_label 0 = train) and one `.npy` per modality,
by default `image_feat.npy` then `text_feat.npy` when present. The generated datasets of the JMH
guard's two shapes (weft.bench.guard.Shapes) are written by weft's own generator
(weft.models.data.SyntheticGenerator, run from models/target, which `mvn -q -B -ntp -DskipTests
-pl models -am package` builds), so the graphs have the guard's exact sparsity.
"""
import ctypes
import glob
import math
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# weft.bench.guard.Shapes: the generator settings of the two shapes (shortvideo is the generator's
# `--preset sparse`: 9,308 users, 6,710 items, 4-10 interactions per user, two 128-d modalities).
SHAPES = {
    "lastfm": ["--name", "lastfm", "--users", "1858", "--items", "1425", "--clusters", "16", "--min-inter", "20",
               "--max-inter", "41", "--image-dim", "128", "--text-dim", "384"],
    "shortvideo": ["--preset", "sparse"],
}
DIM, HEADS, TOKENS = 64, 4, 4

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


# ---------------------------------------------------------------------------------------------
# BLAS and threads

def loaded_blas():
    """Paths of the BLAS shared objects mapped into this process."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return sorted(paths)


def _openblas_libs():
    """The OpenBLAS library mapped (Debian's libblas.so.3 and liblapack.so.3 of the OpenBLAS
    package are thin wrappers around it)."""
    libs, seen = [], set()
    for path in loaded_blas():
        if os.path.basename(path).startswith("libopenblas") and os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            if hasattr(lib, "openblas_get_corename"):
                libs.append((path, lib))
    return libs


def setup_threads(threads):
    """torch's intra-op threads and, when OpenBLAS is loaded, OpenBLAS's own pool (this torch
    build does not resize it)."""
    torch.set_num_threads(threads)
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))  # loads the BLAS library
    for _, lib in _openblas_libs():
        if hasattr(lib, "openblas_set_num_threads"):
            lib.openblas_set_num_threads(threads)


def describe_runtime(threads):
    """Lines naming torch, the threads, and the BLAS and kernel that loaded."""
    lines = [f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}; "
             f"threads {threads} (torch.get_num_threads() = {torch.get_num_threads()})"]
    blas = loaded_blas()
    lines.append(f"BLAS loaded: {', '.join(blas) or 'none found'}")
    ob = _openblas_libs()
    for path, lib in ob:
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        n = lib.openblas_get_num_threads() if hasattr(lib, "openblas_get_num_threads") else "?"
        lines.append(f"OpenBLAS kernel: {lib.openblas_get_corename().decode()}; config: "
                     f"{lib.openblas_get_config().decode().strip()}; its threads: {n}")
    if not ob:
        lines.append("WARNING: OpenBLAS is not loaded: float32 GEMMs run on "
                     + ("the netlib reference BLAS (slow)" if any("libblas" in p for p in blas) else "whatever BLAS this is")
                     + "; see the command in this script's docstring (LD_LIBRARY_PATH)")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"WARNING: {var}={os.environ[var]} is set" if var.startswith("OPENBLAS_C") or var.endswith("L2_SIZE")
                         else f"note: {var}={os.environ[var]}")
    cfg = torch.__config__.show()
    cap = [ln.strip(" -") for ln in cfg.splitlines() if "CPU capability" in ln]
    info = [kv.strip() for kv in cfg.replace("\n", ",").split(",") if kv.strip().startswith(("BLAS_INFO", "LAPACK_INFO", "USE_MKLDNN", "USE_OPENMP"))]
    lines.append("torch build: " + "; ".join(cap + info))
    return lines


# ---------------------------------------------------------------------------------------------
# Timing

def timed(fn, warmup, windows, window_s):
    """Runs fn for `warmup` windows, then `windows` measured windows of at least `window_s`
    seconds each (JMH's AverageTime iterations). Returns the per-window mean seconds per call."""
    per = []
    for w in range(warmup + windows):
        calls = 0
        t0 = time.perf_counter()
        while True:
            fn()
            calls += 1
            dt = time.perf_counter() - t0
            if dt >= window_s:
                break
        if w >= warmup:
            per.append(dt / calls)
    return per


def summary(per, unit_s):
    """median, min and max of the windows, in `unit_s` units (1e-6 for us)."""
    return statistics.median(per) / unit_s, min(per) / unit_s, max(per) / unit_s


# ---------------------------------------------------------------------------------------------
# Data

class Data:
    """A dataset as weft's models see it: sizes, training pairs, modalities (float32, in order)."""

    def __init__(self, name, n_users, n_items, train_u, train_i, modalities):
        self.name, self.n_users, self.n_items = name, n_users, n_items
        self.train_u, self.train_i, self.modalities = train_u, train_i, modalities

    def __repr__(self):
        mods = ", ".join(f"{k} {v.shape[1]}-d" for k, v in self.modalities.items())
        return (f"{self.name}: {self.n_users} users, {self.n_items} items, {len(self.train_u)} training "
                f"interactions, modalities {mods or 'none'}")


def load_folder(folder, modalities=None):
    """`modalities`: list of "name=file.npy" (relative to the folder); default image_feat.npy then
    text_feat.npy, those present (weft's default modalities, in weft's order)."""
    files = glob.glob(os.path.join(folder, "*.inter"))
    if len(files) != 1:
        raise SystemExit(f"expected one .inter file in {folder}, found {len(files)}")
    with open(files[0]) as f:
        header = f.readline().rstrip("\n").lstrip("\ufeff").split("\t")
        cu, ci = header.index("userID"), header.index("itemID")
        cl = header.index("x_label") if "x_label" in header else None
        rows = [line.rstrip("\r\n").split("\t") for line in f if line.strip()]
    if cl is None:
        raise SystemExit(f"{files[0]} has no x_label column; these scripts need the split in the file")
    u = np.array([int(r[cu]) for r in rows], dtype=np.int64)
    i = np.array([int(r[ci]) for r in rows], dtype=np.int64)
    lab = np.array([int(r[cl]) for r in rows], dtype=np.int64)
    train = lab == 0
    pairs = np.unique(u[train] * (int(i.max()) + 1) + i[train])   # repeated lines count once
    tu, ti = pairs // (int(i.max()) + 1), pairs % (int(i.max()) + 1)
    if modalities is None:
        modalities = [f"{m}={m}_feat.npy" for m in ("image", "text") if os.path.exists(os.path.join(folder, f"{m}_feat.npy"))]
    mods = {}
    for spec in modalities:
        name, _, fn = spec.partition("=")
        mods[name] = np.ascontiguousarray(np.load(os.path.join(folder, fn)).astype(np.float32))
    n_items = int(i.max()) + 1
    for name, x in mods.items():
        if x.shape[0] != n_items:
            raise SystemExit(f"modality {name}: {x.shape[0]} rows for {n_items} items")
    name = os.path.basename(files[0])[: -len(".inter")]
    return Data(name, int(u.max()) + 1, n_items, tu, ti, mods)


def shape_data(shape, root):
    """The generated dataset of one of the guard's shapes, written by weft's generator under
    root/shape on first use."""
    folder = os.path.join(root, shape)
    if not glob.glob(os.path.join(folder, "*.inter")):
        jar = os.path.join(REPO, "models", "target", "weft-models.jar")
        if not os.path.exists(jar):
            raise SystemExit(f"{folder} has no dataset and {jar} is missing to generate it: build weft first "
                             "(mvn -q -B -ntp -DskipTests -pl models -am package), or pass --shape-data DIR")
        cp = jar + ":" + os.path.join(REPO, "models", "target", "lib", "*")
        cmd = ["java", "-cp", cp, "weft.models.data.SyntheticGenerator", "--out", folder] + SHAPES[shape]
        print("generating:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    return load_folder(folder)


def standardize(x):
    """weft's FeatureNorm.STANDARDIZE: each column to mean 0, (population) std 1, in float64;
    constant columns become 0."""
    x64 = x.astype(np.float64)
    mean = x64.mean(0)
    var = np.maximum(0.0, (x64 * x64).mean(0) - mean * mean)
    inv = np.where(var > 1e-24, 1.0 / np.sqrt(np.where(var > 1e-24, var, 1.0)), 0.0)
    return torch.tensor(((x64 - mean) * inv).astype(np.float32))


class Sparse:
    """A fixed sparse matrix in the forms the SpMM modes need: CSR, COO, and the transpose as CSR."""

    def __init__(self, coo):
        self.shape = tuple(coo.shape)
        self.coo = coo.coalesce()
        self.csr = self.coo.to_sparse_csr()
        self.t_csr = self.coo.t().coalesce().to_sparse_csr()

    def nnz(self):
        return self.coo._nnz()


class _SpMMT(torch.autograd.Function):
    """S X with the backward S^T G computed from a CSR transpose made once, not per call."""

    @staticmethod
    def forward(ctx, x, s):
        ctx.s = s
        return torch.sparse.mm(s.csr, x)

    @staticmethod
    def backward(ctx, g):
        return torch.sparse.mm(ctx.s.t_csr, g), None


# How A X runs (with autograd to X; the matrices are constants):
#   csr  torch.sparse.mm on the CSR tensor (its backward transposes the CSR matrix in every call)
#   coo  torch.sparse.mm on the COO tensor (MMRec's form)
#   csrt torch.sparse.mm on the CSR tensor, backward on a CSR transpose made once (_SpMMT)
SPMM_MODES = ("csr", "coo", "csrt")
spmm_mode = "csr"


def spmm(s, x, mode=None):
    mode = mode or spmm_mode
    if mode == "csr":
        return torch.sparse.mm(s.csr, x)
    if mode == "coo":
        return torch.sparse.mm(s.coo, x)
    if mode == "csrt":
        return _SpMMT.apply(x, s)
    raise ValueError(mode)


def csr(rows, cols, vals, shape):
    """A fixed sparse matrix (Sparse: CSR, COO and the CSR transpose) from COO triples."""
    return Sparse(torch.sparse_coo_tensor(torch.tensor(np.stack([rows, cols])), torch.tensor(vals, dtype=torch.float32), shape))


def normalized_adjacency(d):
    """A_hat = D^-1/2 [[0, R], [R^T, 0]] D^-1/2 over users then items, (U+I) x (U+I)."""
    n = d.n_users + d.n_items
    rows = np.concatenate([d.train_u, d.train_i + d.n_users])
    cols = np.concatenate([d.train_i + d.n_users, d.train_u])
    deg = np.bincount(rows, minlength=n).astype(np.float64)
    dinv = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1)), 0.0)
    return csr(rows, cols, dinv[rows] * dinv[cols], (n, n))


def user_mean(d):
    """D_u^-1 R, [U, I]: row u averages over u's training items."""
    deg = np.bincount(d.train_u, minlength=d.n_users).astype(np.float64)
    return csr(d.train_u, d.train_i, 1.0 / deg[d.train_u], (d.n_users, d.n_items))


def freedom_item_graph(features, k):
    """CRANE's frozen item-item graph: per modality the k nearest neighbours by cosine (self
    included), each value 1/k (weft's KnnGraph.freedom), summed over the modalities, then
    D^-1/2 S D^-1/2 with D the row sums (KnnGraph.normalize SYM). features: standardised tensors."""
    n = features[0].shape[0]
    rows_all, cols_all, vals_all = [], [], []
    for x in features:
        xn = torch.nn.functional.normalize(x.double(), dim=1)
        for s in range(0, n, 2048):
            sim = xn[s: s + 2048] @ xn.T
            top = torch.topk(sim, k, dim=1).indices.numpy()
            rows_all.append(np.repeat(np.arange(s, s + top.shape[0]), k))
            cols_all.append(top.reshape(-1))
            vals_all.append(np.full(top.size, 1.0 / k))
    rows, cols, vals = np.concatenate(rows_all), np.concatenate(cols_all), np.concatenate(vals_all)
    key = rows * n + cols
    uniq, inv = np.unique(key, return_inverse=True)
    summed = np.bincount(inv, weights=vals)
    r, c = uniq // n, uniq % n
    rowsum = np.bincount(r, weights=summed, minlength=n)
    dinv = np.where(rowsum > 0, 1.0 / np.sqrt(np.maximum(rowsum, 1e-300)), 0.0)
    return csr(r, c, summed * dinv[r] * dinv[c], (n, n))


class Batches:
    """weft's TrainBatches: every training pair once per epoch in a shuffled order, batches of
    `batch`, one negative per pair drawn uniformly from the items not in the user's training set
    (weft's NegativeSampler), the epoch's negatives drawn up front."""

    def __init__(self, d, batch, seed):
        self.d, self.batch = d, batch
        self.rng = np.random.default_rng(seed)
        self.keys = np.sort(d.train_u * d.n_items + d.train_i)

    def _is_train(self, u, i):
        k = u * self.d.n_items + i
        pos = np.searchsorted(self.keys, k)
        pos = np.minimum(pos, len(self.keys) - 1)
        return self.keys[pos] == k

    def epoch(self):
        d = self.d
        order = self.rng.permutation(len(d.train_u))
        users, items = d.train_u[order], d.train_i[order]
        neg = self.rng.integers(0, d.n_items, len(users))
        bad = self._is_train(users, neg)
        while bad.any():
            neg[bad] = self.rng.integers(0, d.n_items, int(bad.sum()))
            bad[bad] = self._is_train(users[bad], neg[bad])
        for s in range(0, len(users), self.batch):
            yield (torch.from_numpy(users[s: s + self.batch]), torch.from_numpy(items[s: s + self.batch]),
                   torch.from_numpy(neg[s: s + self.batch]))


# ---------------------------------------------------------------------------------------------
# Attention, in weft's MultiHeadAttention form: Q/K/V/O projections [d, d] with biases, Xavier
# uniform weights and zero biases, scores scaled by 1/sqrt(d/H), no mask, no dropout. Sequences
# are [B, T, d] (weft's [B*T, d] rows, viewed).

class ManualAttention(torch.nn.Module):
    """Multi-head attention written out: Q/K/V/O projections, head split, softmax(Q K^T / sqrt(dh)) V,
    head merge; sequences as [B, T, d]."""

    def __init__(self, d, heads, fused_core=False):
        super().__init__()
        self.d, self.h, self.dh, self.fused_core = d, heads, d // heads, fused_core
        self.wq, self.wk, self.wv, self.wo = (torch.nn.Linear(d, d) for _ in range(4))
        for lin in (self.wq, self.wk, self.wv, self.wo):   # weft's Linear: Xavier uniform, zero bias
            torch.nn.init.xavier_uniform_(lin.weight)
            torch.nn.init.zeros_(lin.bias)

    def forward(self, q, k, v):
        b, tq, tk = q.shape[0], q.shape[1], k.shape[1]
        qh = self.wq(q).view(b, tq, self.h, self.dh).transpose(1, 2)   # [B, H, Tq, dh]
        kh = self.wk(k).view(b, tk, self.h, self.dh).transpose(1, 2)
        vh = self.wv(v).view(b, tk, self.h, self.dh).transpose(1, 2)
        if self.fused_core:
            ctx = F.scaled_dot_product_attention(qh, kh, vh)
        else:
            att = torch.softmax(qh @ kh.transpose(-2, -1) * (1.0 / math.sqrt(self.dh)), dim=-1)
            ctx = att @ vh
        return self.wo(ctx.transpose(1, 2).reshape(b, tq, self.d))

    def weft_order(self):
        """Destinations of weft's MultiHeadAttention.parameters(), in order (Wq, bq, Wk, bk, Wv, bv, Wo, bo)."""
        return [(p, None) for lin in (self.wq, self.wk, self.wv, self.wo) for p in (lin.weight, lin.bias)]


class TorchAttention(torch.nn.Module):
    """torch.nn.MultiheadAttention with the [B, T, d] call signature of ManualAttention."""

    def __init__(self, d, heads):
        super().__init__()
        self.d = d
        self.mha = torch.nn.MultiheadAttention(d, heads, batch_first=True)
        with torch.no_grad():   # each [d, d] block as weft draws it (the packed [3d, d] would get a smaller bound)
            for k in range(3):
                torch.nn.init.xavier_uniform_(self.mha.in_proj_weight[k * d:(k + 1) * d])
            torch.nn.init.xavier_uniform_(self.mha.out_proj.weight)
            self.mha.in_proj_bias.zero_()
            self.mha.out_proj.bias.zero_()

    def forward(self, q, k, v):
        return self.mha(q, k, v, need_weights=False)[0]

    def weft_order(self):
        """Destinations of weft's MultiHeadAttention.parameters(), in order (Wq, bq, Wk, bk, Wv, bv, Wo, bo)."""
        m, d = self.mha, self.d
        out = []
        for k in range(3):
            out += [(m.in_proj_weight, slice(k * d, (k + 1) * d)), (m.in_proj_bias, slice(k * d, (k + 1) * d))]
        return out + [(m.out_proj.weight, None), (m.out_proj.bias, None)]


def info_nce(z1, z2, tau):
    """weft's Losses.infoNce: mean cross-entropy of n(z1) n(z2)^T / tau against the diagonal,
    n = row L2 normalisation (x / max(||x||, 1e-12))."""
    logits = F.normalize(z1, dim=1, eps=1e-12) @ F.normalize(z2, dim=1, eps=1e-12).T
    return F.cross_entropy(logits / tau, torch.arange(z1.shape[0]))
