package weft.engine;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * The blocked, packed GEMM shared by {@link ScalarGemm} and {@link PanamaGemm} (the Goto / BLIS
 * structure): {@code C = op(A) op(B)} or {@code C += op(A) op(B)} (see {@link Kernels#gemm}).
 *
 * <p>Structure. k is cut into blocks of {@code kc}; for each k block, op(A) is packed into
 * slivers of {@code mr} rows ({@code kc x mr}, row index fastest) and op(B) into slivers of
 * {@code nr} columns ({@code kc x nr}), zero-padded at the edges. Packing reads the stored
 * matrices in whichever orientation they have, so one micro-kernel serves all four transposition
 * forms. The micro-kernel ({@link GemmKernel#tile}) walks one A sliver and one B sliver and keeps
 * the {@code mr x nr} tile of C in registers. Loop order inside a task: rows of A in blocks of
 * {@code mc} (the packed A block stays in L2) / k blocks / B slivers (one stays in L1) / A slivers.
 *
 * <p>Threads. One operand is packed once per call into a buffer that all tasks read (the
 * "shared" panel, B when m is large, A when m is small and n large); the tasks are ranges of
 * whole slivers of the other dimension of C, and each packs its own blocks of the other operand.
 * Every element of C gets the arithmetic {@code C = (((C or nothing) + acc_0) + acc_1) ...} over
 * k blocks that start at multiples of {@code kc}, each {@code acc_b} a register tile's sum from
 * zero, so results are bit-identical for any thread count, split or tile position. Where C has
 * few rows and k is long (weight gradients), the k blocks are the tasks instead: each block's
 * {@code acc_b} goes to its own slot and the slots are added into C in block order afterwards,
 * the same arithmetic ({@link #byKBlocks}; taken with more than one thread only, which cannot
 * change the bits since the arithmetic is the same).
 *
 * <p>When the panel has few columns (at most {@link #DIRECT_A_SLIVERS} B slivers; n = 64 to 384 in
 * the models) each A element feeds only a few multiply-adds, and packing it would cost about as much
 * as they do: full A slivers are then read in place ({@link GemmKernel#tileDirectA}), the same
 * arithmetic on the same values, and only a last partial sliver is packed.
 *
 * <p>The weight gradients' form {@code A^T B} with few rows of C, where the kernel offers it
 * ({@link GemmKernel#transposedBlock}, 512-bit vectors), packs nothing at all: each k block is
 * computed from A and B where they are stored into its own slot and the slots are added in block
 * order ({@link #transposedBlocks}), the same arithmetic again.
 *
 * <p>Skinny shapes where packing costs as much as the product (m &le; 3 with B untransposed:
 * rows of C as axpys of rows of B; n &le; 3 with A untransposed and B transposed: dot products
 * of rows) skip packing. The path is chosen from the shape alone, never from the thread count.
 *
 * <p>Memory. Packing buffers are per thread ({@link ThreadLocal}) and grow to the largest size
 * seen, so the steady state allocates nothing; the shared panel is capped at
 * {@link #SHARED_CAP} floats (8 MB); larger operands are processed in panels.
 */
final class GemmDriver {
    private GemmDriver() {}

    /** Default cap in floats (8 MB) on the panel packed once per call and shared by all tasks. */
    static final int SHARED_CAP = 1 << 21;
    /** The cap in force; tests lower it to exercise the panel loops on small products. */
    static volatile int sharedCap = SHARED_CAP;
    /** Minimum multiply-adds per parallel task: below about this, forking costs more than it saves. */
    static final long TASK_MIN_FMAS = 1L << 17;
    /** Width of a B block packed by one task when A is the shared panel (kc x 256 floats fits L2). */
    static final int LOCAL_N = 256;
    /**
     * Up to this many B slivers in a panel, full A slivers are read in place instead of packed.
     * Measured with AVX-512 (16 slivers = 512 columns; best of 0.7 s, one JVM, alternating): 16
     * against the earlier 6 made 256- and 384-wide products 5-12 % faster at 1 thread and 3-7 %
     * at 2 (1425 x 384 x 256 NT, 256 x 1425 x 384 TN, 1425 x 384 x 384 NN), a 512-wide one 0.5-1.5 %;
     * reading in place at 32 slivers (1024 x 1024 x 1024) was 7 % slower. Same bits either way.
     */
    static final int DIRECT_A_SLIVERS = 16;
    /** The limit in force; benchmarks set 0 to measure packing A everywhere. */
    static volatile int directASlivers = DIRECT_A_SLIVERS;
    /**
     * Up to this many rows of C, a long k makes its blocks the parallel tasks ({@link #byKBlocks}):
     * split by rows, every task streams the whole packed B panel (k x n) from memory. Measured at
     * 2 threads (best of 0.7 s, one JVM, alternating): 64 x 64 weight gradients over k = 1425..7125
     * 1.7-2.0x faster, m = 128 1.7x, m = 384 1.07x, m = 256 and 512 no gain (n = 384, 512).
     */
    static final int K_TASKS_MAX_M = 128;
    /**
     * Whether the k blocks may be the parallel tasks ({@link #byKBlocks}); {@code
     * -Dweft.gemm.kBlockTasks=false} turns it off, for benchmarks measuring the row split there
     * (same results either way).
     */
    static volatile boolean kBlockTasks = !"false".equals(System.getProperty("weft.gemm.kBlockTasks"));
    /**
     * Whether {@code A^T B} with few rows of C may take {@link #transposedBlocks} where the kernel
     * has that path; {@code -Dweft.gemm.transposedBlocks=false} turns it off, for benchmarks (same
     * results either way).
     */
    static volatile boolean transposedBlocks = !"false".equals(System.getProperty("weft.gemm.transposedBlocks"));
    /** Up to this many rows of C, {@link #transposedBlocks} is taken (measured up to 384). */
    static final int T_BLOCKS_MAX_M = 512;
    /** Largest m (resp. n) handled by the unpacked axpy (resp. dot) paths. */
    static final int SKINNY = 3;

    /** Per-thread buffers: {@code shared} is the panel this thread packs for the tasks of its calls, {@code local} the blocks it packs as a task. */
    private static final class Workspace {
        float[] shared = new float[0];
        float[] local = new float[0];
        float[] tmp = new float[0];
        float[] kb = new float[0];
        float[] parts = new float[0];
        float[] tail = new float[0];

        static float[] grow(float[] a, long need) {
            if (a.length >= need) {
                return a;
            }
            return new float[(int) Math.max(need, Math.min(Integer.MAX_VALUE - 8, a.length + (a.length >> 1)))];
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /** Floating-point operations of the products run so far, {@code 2 m n k} each ({@link MatMul#work()}). */
    private static final LongAdder WORK = new LongAdder();

    static long work() {
        return WORK.sum();
    }

    static void gemm(GemmKernel kr, boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, boolean accumulate) {
        checkArgs(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        WORK.add(2L * m * n * k);
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        if (m <= SKINNY && !transB) {
            rowsAsAxpys(kr, transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else if (n <= SKINNY && transB && !transA) {
            dots(kr, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        } else {
            packed(kr, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    // ------------------------------------------------------------------ packed path

    private static void packed(GemmKernel kr, boolean transA, boolean transB, int m, int n, int k,
                               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc, boolean accumulate) {
        final int MR = kr.mr, NR = kr.nr, KC = kr.kc;
        int threads = Parallel.threads();
        boolean parallel = threads > 1 && (long) m * n * k >= 2 * TASK_MIN_FMAS;
        int mSlivers = ceilDiv(m, MR);
        int nSlivers = ceilDiv(n, NR);
        // Split C by rows (B shared) unless there are too few row slivers to balance the threads
        // and more column slivers than row slivers: then split by columns (A shared).
        boolean byRows = !parallel || mSlivers >= 4 * threads || mSlivers >= nSlivers;
        Workspace ws = WORKSPACE.get();
        final int cap = sharedCap;
        if (transA && !transB && takesTransposedBlocks(kr, m, n, k, threads)) {
            transposedBlocks(kr, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, ws);
            return;
        }
        if (takesKBlocks(kr, m, n, k, threads)) {
            byKBlocks(kr, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, ws);
            return;
        }

        if (byRows) {
            int nPad = nSlivers * NR;
            int kOuter, nc;
            if ((long) nPad * k <= cap) {
                kOuter = k;
                nc = n;
            } else {
                // Whole k blocks (so k blocks still start at multiples of kc), then as many columns as fit.
                kOuter = Math.min(k, Math.max(KC, cap / nPad / KC * KC));
                nc = Math.min(n, Math.max(NR, cap / kOuter / NR * NR));
            }
            ws.shared = Workspace.grow(ws.shared, (long) kOuter * ceilDiv(nc, NR) * NR);
            final float[] bp = ws.shared;
            for (int jc = 0; jc < n; jc += nc) {
                final int jc0 = jc, ncb = Math.min(nc, n - jc), ncPad = ceilDiv(ncb, NR) * NR;
                for (int pO = 0; pO < k; pO += kOuter) {
                    final int p0 = pO, kEnd = Math.min(k, pO + kOuter);
                    // Pack the shared B panel: columns [jc, jc + ncb), k in [p0, kEnd), one block per kc.
                    Parallel.RangeBody packBody = (s0, s1) -> {
                        for (int pc = p0; pc < kEnd; pc += KC) {
                            int kcb = Math.min(KC, kEnd - pc);
                            packB(transB, b, bOff, ldb, pc, kcb, jc0 + s0 * NR, Math.min(ncb - s0 * NR, (s1 - s0) * NR),
                                    bp, (pc - p0) * ncPad + s0 * NR * kcb, NR);
                        }
                    };
                    int nsl = ncPad / NR;
                    Parallel.RangeBody rowsBody = (s0, s1) -> rowTask(kr, transA, a, aOff, lda, bp, ncPad, p0, kEnd,
                            jc0, ncb, s0 * MR, Math.min(m, s1 * MR), c, cOff, ldc, accumulate);
                    if (parallel) {
                        Parallel.forRange(nsl, grain((long) NR * (kEnd - p0) * 8), packBody);
                        Parallel.forRange(mSlivers, grain((long) MR * ncb * (kEnd - p0)), rowsBody);
                    } else {
                        packBody.run(0, nsl);
                        rowsBody.run(0, mSlivers);
                    }
                }
            }
        } else {
            int mPad = mSlivers * MR;
            int kOuter = (long) mPad * k <= cap ? k : Math.min(k, Math.max(KC, cap / mPad / KC * KC));
            ws.shared = Workspace.grow(ws.shared, (long) kOuter * mPad);
            final float[] ap = ws.shared;
            for (int pO = 0; pO < k; pO += kOuter) {
                final int p0 = pO, kEnd = Math.min(k, pO + kOuter);
                for (int pc = p0; pc < kEnd; pc += KC) {
                    packA(transA, a, aOff, lda, 0, m, pc, Math.min(KC, kEnd - pc), ap, (pc - p0) * mPad, MR);
                }
                Parallel.forRange(nSlivers, grain((long) NR * m * (kEnd - p0)), (s0, s1) -> colTask(kr, transB, ap, mPad, p0, kEnd,
                        m, b, bOff, ldb, s0 * NR, Math.min(n, s1 * NR), c, cOff, ldc, accumulate));
            }
        }
    }

    /**
     * Whether a packed product takes {@link #byKBlocks}: more than one thread and enough work to
     * split, at most {@link #K_TASKS_MAX_M} rows of C, at least two k blocks per thread, and the
     * blocks' results within the shared cap.
     */
    static boolean takesKBlocks(GemmKernel kr, int m, int n, int k, int threads) {
        long blocks = ceilDiv((long) k, kr.kc);
        return kBlockTasks && threads > 1 && (long) m * n * k >= 2 * TASK_MIN_FMAS
                && m <= K_TASKS_MAX_M && blocks >= 2L * threads && blocks * m * n <= sharedCap;
    }

    /**
     * Few rows of C for the threads and many k blocks (the weight gradients {@code dY^T X}: C is
     * 64 x 64, k the rows of a batch): the k blocks are the tasks. Task b computes block b's
     * product {@code acc_b} (B block packed locally, A read in place as in {@link #rowTask}) into
     * its own m x n slot; then {@code C = (((C or nothing) + acc_0) + acc_1) ...} in block order,
     * the arithmetic of the other paths, so the bits do not change.
     */
    private static void byKBlocks(GemmKernel kr, boolean transA, boolean transB, int m, int n, int k,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc, boolean accumulate, Workspace caller) {
        final int NR = kr.nr, KC = kr.kc;
        final int blocks = ceilDiv(k, KC), mn = m * n, nPad = ceilDiv(n, NR) * NR;
        caller.parts = Workspace.grow(caller.parts, (long) blocks * mn);
        final float[] parts = caller.parts;
        Parallel.forRange(blocks, 1, (b0, b1) -> {
            Workspace ws = WORKSPACE.get();
            ws.kb = Workspace.grow(ws.kb, (long) KC * nPad);
            float[] bp = ws.kb;
            for (int blk = b0; blk < b1; blk++) {
                int pc = blk * KC, kcb = Math.min(KC, k - pc);
                packB(transB, b, bOff, ldb, pc, kcb, 0, n, bp, 0, NR);
                // A shifted to start at column pc of op(A): the block is a product over k in [0, kcb) stored, not added.
                int ao = transA ? aOff + pc * lda : aOff + pc;
                rowTask(kr, transA, a, ao, lda, bp, nPad, 0, kcb, 0, n, 0, m, parts, blk * mn, n, false);
            }
        });
        addBlocks(kr, parts, blocks, m, n, c, cOff, ldc, accumulate);
    }

    /** {@code C = (((C or nothing) + acc_0) + acc_1) ...} in block order, block b's m x n result at {@code parts[b * m * n]}. */
    private static void addBlocks(GemmKernel kr, float[] parts, int blocks, int m, int n, float[] c, int cOff, int ldc,
                                  boolean accumulate) {
        final int mn = m * n;
        Parallel.forRange(m, grain((long) blocks * n), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int ci = cOff + i * ldc;
                int blk = 0;
                if (!accumulate) {
                    System.arraycopy(parts, i * n, c, ci, n);
                    blk = 1;
                }
                for (; blk < blocks; blk++) {
                    kr.axpy(n, 1f, parts, blk * mn + i * n, c, ci); // fma(1, x, y) rounds x + y once: C + acc_b
                }
            }
        });
    }

    /**
     * Whether {@code A^T B} takes {@link #transposedBlocks}: the kernel has the path, n is a
     * multiple of its width, m is from {@code mr} to {@link #T_BLOCKS_MAX_M}, the blocks' results
     * fit the shared cap, and with more than one thread there are at least two k blocks per thread.
     */
    static boolean takesTransposedBlocks(GemmKernel kr, int m, int n, int k, int threads) {
        int w = kr.transposedBlockWidth();
        long blocks = ceilDiv((long) k, kr.kc);
        return transposedBlocks && w > 0 && n % w == 0 && m >= kr.mr && m <= T_BLOCKS_MAX_M
                && blocks * m * n <= sharedCap && (threads == 1 || blocks >= 2L * threads);
    }

    /**
     * The weight gradients' form {@code A^T B} (A stored k x m, B k x n, both read in place, no
     * packing): block b of k (rows [b kc, (b+1) kc)) is {@link GemmKernel#transposedBlock}, the
     * blocks are the parallel tasks, and {@link #addBlocks} adds them into C in order, the
     * arithmetic of the packed paths, so the bits do not change. Measured on a 2-core Intel Xeon
     * with AVX-512 against the packed paths (m x n x k, GFLOP/s at one / two threads): 64 x 64 x 5700
     * 118 / 266 against 77 / 161, 256 x 384 x 1425 121 / 221 against 99 / 168 (docs/performance.md).
     * Not measured on an AMD machine with AVX-512, where it is taken too.
     */
    private static void transposedBlocks(GemmKernel kr, int m, int n, int k, float[] a, int aOff, int lda,
                                         float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate,
                                         Workspace caller) {
        final int KC = kr.kc;
        final int blocks = ceilDiv(k, KC), mn = m * n;
        caller.parts = Workspace.grow(caller.parts, (long) blocks * mn);
        final float[] parts = caller.parts;
        Parallel.RangeBody body = (b0, b1) -> {
            Workspace ws = WORKSPACE.get();
            ws.tail = Workspace.grow(ws.tail, (long) kr.mr * n);
            for (int blk = b0; blk < b1; blk++) {
                int pc = blk * KC;
                kr.transposedBlock(a, aOff + pc * lda, lda, b, bOff + pc * ldb, ldb, m, n, Math.min(KC, k - pc),
                        parts, blk * mn, ws.tail);
            }
        };
        Parallel.forRange(blocks, 1, body);   // inline at one thread
        addBlocks(kr, parts, blocks, m, n, c, cOff, ldc, accumulate);
    }

    private static int grain(long fmasPerUnit) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ceilDiv(TASK_MIN_FMAS, Math.max(1, fmasPerUnit))));
    }

    /** Rows [r0, r1) of C, columns [jc, jc + ncb), k in [p0, kEnd), against the shared packed B panel. */
    private static void rowTask(GemmKernel kr, boolean transA, float[] a, int aOff, int lda,
                                float[] bp, int ncPad, int p0, int kEnd, int jc, int ncb, int r0, int r1,
                                float[] c, int cOff, int ldc, boolean accumulate) {
        final int MR = kr.mr, NR = kr.nr, MC = kr.mc, KC = kr.kc;
        Workspace ws = WORKSPACE.get();
        ws.local = Workspace.grow(ws.local, (long) MC * KC);
        ws.tmp = Workspace.grow(ws.tmp, (long) MR * NR);
        float[] ap = ws.local, tmp = ws.tmp;
        // Few B slivers per A sliver: read full A slivers in place rather than pack them.
        boolean direct = ncb <= directASlivers * NR;
        int rs = transA ? 1 : lda, cs = transA ? lda : 1;
        for (int ic = r0; ic < r1; ic += MC) {
            int mcb = Math.min(MC, r1 - ic);
            int full = direct ? mcb / MR * MR : 0; // rows read in place; the rest is packed
            for (int pc = p0; pc < kEnd; pc += KC) {
                int kcb = Math.min(KC, kEnd - pc);
                if (full < mcb) {
                    packA(transA, a, aOff, lda, ic + full, mcb - full, pc, kcb, ap, 0, MR);
                }
                boolean addC = accumulate || pc > 0;
                int bBase = (pc - p0) * ncPad;
                for (int jr = 0; jr < ncb; jr += NR) {
                    int cols = Math.min(NR, ncb - jr);
                    int bo = bBase + jr * kcb;
                    int co = cOff + ic * ldc + jc + jr;
                    for (int ir = 0; ir < full; ir += MR) {
                        int ao = transA ? aOff + pc * lda + ic + ir : aOff + (ic + ir) * lda + pc;
                        kr.tileDirectA(kcb, a, ao, rs, cs, bp, bo, c, co + ir * ldc, ldc, addC, cols, tmp);
                    }
                    for (int ir = full; ir < mcb; ir += MR) {
                        kr.tile(kcb, ap, (ir - full) * kcb, bp, bo, c, co + ir * ldc, ldc, addC, Math.min(MR, mcb - ir), cols, tmp);
                    }
                }
            }
        }
    }

    /** Columns [j0, j1) of C, all m rows, k in [p0, kEnd), against the shared packed A panel. */
    private static void colTask(GemmKernel kr, boolean transB, float[] ap, int mPad, int p0, int kEnd, int m,
                                float[] b, int bOff, int ldb, int j0, int j1,
                                float[] c, int cOff, int ldc, boolean accumulate) {
        final int MR = kr.mr, NR = kr.nr, KC = kr.kc;
        final int NL = ceilDiv(LOCAL_N, NR) * NR;
        Workspace ws = WORKSPACE.get();
        ws.local = Workspace.grow(ws.local, (long) NL * KC);
        ws.tmp = Workspace.grow(ws.tmp, (long) MR * NR);
        float[] bp = ws.local, tmp = ws.tmp;
        for (int jb = j0; jb < j1; jb += NL) {
            int ncb = Math.min(NL, j1 - jb);
            for (int pc = p0; pc < kEnd; pc += KC) {
                int kcb = Math.min(KC, kEnd - pc);
                packB(transB, b, bOff, ldb, pc, kcb, jb, ncb, bp, 0, NR);
                boolean addC = accumulate || pc > 0;
                int aBase = (pc - p0) * mPad;
                for (int jr = 0; jr < ncb; jr += NR) {
                    int cols = Math.min(NR, ncb - jr);
                    int co = cOff + jb + jr;
                    for (int ir = 0; ir < m; ir += MR) {
                        kr.tile(kcb, ap, aBase + ir * kcb, bp, jr * kcb, c, co + ir * ldc, ldc, addC, Math.min(MR, m - ir), cols, tmp);
                    }
                }
            }
        }
    }

    /**
     * Packs op(A)[i0 .. i0+rows, p0 .. p0+kc) into slivers of MR rows at {@code dst[dOff + s*MR*kc + p*MR + r]},
     * rows past {@code rows} zero.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int rows, int p0, int kc,
                      float[] dst, int dOff, int MR) {
        for (int s = 0; s * MR < rows; s++) {
            int d = dOff + s * MR * kc;
            int ib = i0 + s * MR;
            int valid = Math.min(MR, rows - s * MR);
            if (!transA) {
                for (int r = 0; r < valid; r++) {
                    int src = aOff + (ib + r) * lda + p0;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * MR + r] = a[src + p];
                    }
                }
                for (int r = valid; r < MR; r++) {
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * MR + r] = 0f;
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + ib;
                    int dd = d + p * MR;
                    for (int r = 0; r < valid; r++) {
                        dst[dd + r] = a[src + r];
                    }
                    for (int r = valid; r < MR; r++) {
                        dst[dd + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+cols) into slivers of NR columns at {@code dst[dOff + s*NR*kc + p*NR + j]},
     * columns past {@code cols} zero.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int cols,
                      float[] dst, int dOff, int NR) {
        for (int s = 0; s * NR < cols; s++) {
            int d = dOff + s * NR * kc;
            int jb = j0 + s * NR;
            int valid = Math.min(NR, cols - s * NR);
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + jb;
                    int dd = d + p * NR;
                    if (valid == NR) {
                        System.arraycopy(b, src, dst, dd, NR);
                    } else {
                        for (int j = 0; j < valid; j++) {
                            dst[dd + j] = b[src + j];
                        }
                        for (int j = valid; j < NR; j++) {
                            dst[dd + j] = 0f;
                        }
                    }
                }
            } else {
                for (int j = 0; j < valid; j++) {
                    int src = bOff + (jb + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * NR + j] = b[src + p];
                    }
                }
                for (int j = valid; j < NR; j++) {
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ unpacked paths for skinny shapes

    /** Columns per task of the axpy path (a few rows of C over this many columns stay in L1). */
    private static final int AXPY_COLS = 512;

    /** m &le; 3, B untransposed: row i of C is sum_p op(A)[i,p] * (row p of B); B is streamed once. */
    private static void rowsAsAxpys(GemmKernel kr, boolean transA, int m, int n, int k,
                                    float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        Parallel.RangeBody body = (q0, q1) -> {
            for (int j0 = q0 * AXPY_COLS; j0 < Math.min(n, q1 * AXPY_COLS); j0 += AXPY_COLS) {
                int len = Math.min(AXPY_COLS, n - j0);
                if (!accumulate) {
                    for (int i = 0; i < m; i++) {
                        Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j0 + len, 0f);
                    }
                }
                for (int p = 0; p < k; p++) {
                    int brow = bOff + p * ldb + j0;
                    for (int i = 0; i < m; i++) {
                        float alpha = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        kr.axpy(len, alpha, b, brow, c, cOff + i * ldc + j0);
                    }
                }
            }
        };
        int blocks = ceilDiv(n, AXPY_COLS);
        if ((long) m * n * k >= 2 * TASK_MIN_FMAS) {
            Parallel.forRange(blocks, grain((long) m * AXPY_COLS * k), body);
        } else {
            body.run(0, blocks);
        }
    }

    /** n &le; 3, A untransposed, B transposed: C[i,j] is the dot product of row i of A and row j of B. */
    private static void dots(GemmKernel kr, int m, int n, int k, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        Parallel.RangeBody body = (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                for (int j = 0; j < n; j++) {
                    float d = kr.dot(k, a, aOff + i * lda, b, bOff + j * ldb);
                    int ci = cOff + i * ldc + j;
                    c[ci] = accumulate ? c[ci] + d : d;
                }
            }
        };
        if ((long) m * n * k >= 2 * TASK_MIN_FMAS) {
            Parallel.forRange(m, grain((long) n * k), body);
        } else {
            body.run(0, m);
        }
    }

    // ------------------------------------------------------------------ checks

    /** O(1) checks that every index the product touches lies inside its array, so a wrong leading dimension fails loudly instead of reading neighbouring data. */
    static void checkArgs(boolean transA, boolean transB, int m, int n, int k,
                          float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        }
        checkMatrix("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        checkMatrix("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        checkMatrix("C", c, cOff, ldc, m, n);
    }

    private static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (ld < cols) {
            throw new IllegalArgumentException("gemm: leading dimension of " + name + " is " + ld + ", less than its " + cols + " stored columns");
        }
        long last = off + (long) (rows - 1) * ld + cols - 1;
        if (off < 0 || last >= x.length) {
            throw new IllegalArgumentException("gemm: " + name + " (" + rows + " x " + cols + ", ld " + ld + ", offset " + off
                    + ") does not fit in an array of " + x.length);
        }
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    static long ceilDiv(long x, long y) {
        return (x + y - 1) / y;
    }
}
