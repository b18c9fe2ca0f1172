package weft.graph;

import weft.engine.Rng;
import weft.engine.Tensor;

/** Random test inputs and float64 dense references shared by the graph tests. */
final class Fixtures {
    private Fixtures() {}

    /** A rows x cols matrix with about {@code density * rows * cols} entries, values in [-1, 1). */
    static CsrMatrix randomCsr(int rows, int cols, double density, long seed) {
        Rng rng = new Rng(seed);
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (rng.nextDouble() < density) {
                    b.add(r, c, rng.nextFloat() * 2 - 1);
                }
            }
        }
        return b.build(CsrMatrix.Duplicates.REJECT);
    }

    /** A rows x cols matrix with exactly {@code nnz} random entries (duplicates summed), for large sizes. */
    static CsrMatrix randomCsrNnz(int rows, int cols, int nnz, long seed) {
        Rng rng = new Rng(seed);
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols);
        for (int j = 0; j < nnz; j++) {
            b.add(rng.nextInt(rows), rng.nextInt(cols), rng.nextFloat() * 2 - 1);
        }
        return b.build(CsrMatrix.Duplicates.SUM);
    }

    /** A binary users x items interaction matrix with skewed (popularity-like) item degrees. */
    static CsrMatrix randomInteractions(int users, int items, int perUser, long seed) {
        Rng rng = new Rng(seed);
        int n = users * perUser;
        int[] u = new int[n];
        int[] i = new int[n];
        for (int j = 0; j < n; j++) {
            u[j] = j / perUser;
            double x = rng.nextDouble();
            i[j] = Math.min(items - 1, (int) (items * x * x)); // low ids popular
        }
        return Adjacency.interactions(users, items, u, i);
    }

    static Tensor randomTensor(int rows, int cols, long seed) {
        return new Rng(seed).uniform(new Tensor(rows, cols), -1f, 1f);
    }

    /** a b in float64, rounded to float. */
    static Tensor denseProduct(Tensor a, Tensor b) {
        Tensor c = new Tensor(a.rows, b.cols);
        for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < b.cols; j++) {
                double s = 0;
                for (int p = 0; p < a.cols; p++) {
                    s += (double) a.get(i, p) * b.get(p, j);
                }
                c.set(i, j, (float) s);
            }
        }
        return c;
    }

    static Tensor transposeDense(Tensor a) {
        Tensor t = new Tensor(a.cols, a.rows);
        for (int i = 0; i < a.rows; i++) {
            for (int j = 0; j < a.cols; j++) {
                t.set(j, i, a.get(i, j));
            }
        }
        return t;
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        Tensor.requireSameShape("maxAbsDiff", a, b);
        double m = 0;
        for (int j = 0; j < a.size(); j++) {
            m = Math.max(m, Math.abs(a.data[a.offset + j] - b.data[b.offset + j]));
        }
        return m;
    }

    /** Runs {@code body} with the shared pool at {@code threads} threads, restoring the previous size. */
    static <T> T withThreads(int threads, java.util.function.Supplier<T> body) {
        int old = weft.engine.Parallel.threads();
        weft.engine.Parallel.setThreads(threads);
        try {
            return body.get();
        } finally {
            weft.engine.Parallel.setThreads(old);
        }
    }
}
