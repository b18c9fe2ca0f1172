package weft.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import weft.autograd.Var;
import weft.engine.Tensor;
import weft.models.data.Dataset;
import weft.models.data.TrainBatches;

/**
 * LightGCN's loss gradient against a closed form computed in double, on the tiny dataset.
 *
 * <p>A one-step comparison with PyTorch (the loss before and after one Adam step) cannot see a
 * gradient of the right direction but the wrong scale, because Adam's first step is
 * {@code lr * g / |g|} elementwise; this test pins the scale of both terms:
 * <pre>
 *   P      = mean(I, A, ..., A^L)                 (A: D^-1/2 [[0, R], [R^T, 0]] D^-1/2, dense here)
 *   X      = P E
 *   d/dX   BPR: for each triple b, c_b = -(1 - sigmoid(x_u . x_p - x_u . x_n)) / B;
 *               x_u += c_b (x_p - x_n),  x_p += c_b x_u,  x_n -= c_b x_u
 *   d/dE   = P^T d/dX  +  reg / B * sum_{S in {U, P, N}} (rows of E in S) / ||E_S||_F   (accumulated per row)
 * </pre>
 */
class LightGcnGradientTest {
    @Test
    void lossGradientMatchesTheClosedForm() {
        Dataset d = Fixtures.tiny(0);
        ModelConfig mc = Fixtures.tinyConfig(0.5f);   // reg large enough that a wrong EmbLoss scale shows
        LightGcn m = new LightGcn(d, mc);
        TrainBatches.Batch b = Fixtures.REPEATS;      // user 0 and item 2 twice: gathers must accumulate
        Var emb = m.parameters().get(0);
        Var loss = m.loss(b);
        loss.backward();
        Tensor g = emb.grad();

        int nu = d.numUsers(), n = nu + d.numItems(), dim = mc.dim, bs = b.size();
        double[][] e = new double[n][dim];
        for (int r = 0; r < n; r++) for (int c = 0; c < dim; c++) e[r][c] = emb.value.get(r, c);
        // dense A_hat and P
        double[][] a = new double[n][n];
        int[] deg = new int[n];
        int[] tu = d.trainUsers(), ti = d.trainItems();
        for (int k = 0; k < tu.length; k++) {
            deg[tu[k]]++;
            deg[nu + ti[k]]++;
        }
        for (int k = 0; k < tu.length; k++) {
            double w = 1 / Math.sqrt((double) deg[tu[k]] * deg[nu + ti[k]]);
            a[tu[k]][nu + ti[k]] = w;
            a[nu + ti[k]][tu[k]] = w;
        }
        double[][] p = identity(n), power = identity(n);
        for (int l = 0; l < mc.layers; l++) {
            power = mul(a, power);
            for (int r = 0; r < n; r++) for (int c = 0; c < n; c++) p[r][c] += power[r][c];
        }
        for (int r = 0; r < n; r++) for (int c = 0; c < n; c++) p[r][c] /= mc.layers + 1;
        double[][] x = mul(p, e);

        double[][] gx = new double[n][dim];
        double lossExpected = 0;
        for (int k = 0; k < bs; k++) {
            int u = b.users()[k], ip = nu + b.pos()[k], in = nu + b.neg()[k];
            double diff = dot(x[u], x[ip]) - dot(x[u], x[in]);
            double sig = 1 / (1 + Math.exp(-diff));
            lossExpected += -Math.log(sig) / bs;
            double cb = -(1 - sig) / bs;
            for (int c = 0; c < dim; c++) {
                gx[u][c] += cb * (x[ip][c] - x[in][c]);
                gx[ip][c] += cb * x[u][c];
                gx[in][c] -= cb * x[u][c];
            }
        }
        double[][] ge = mul(transpose(p), gx);
        int[][] sets = new int[3][bs];
        for (int k = 0; k < bs; k++) {
            sets[0][k] = b.users()[k];
            sets[1][k] = nu + b.pos()[k];
            sets[2][k] = nu + b.neg()[k];
        }
        for (int[] rows : sets) {
            double sq = 0;
            for (int r : rows) sq += dot(e[r], e[r]);
            double norm = Math.sqrt(sq);
            lossExpected += mc.reg * norm / bs;
            for (int r : rows) for (int c = 0; c < dim; c++) ge[r][c] += mc.reg / bs * e[r][c] / norm;
        }

        assertEquals(lossExpected, loss.value.item(), 1e-5, "loss");
        double scale = 0;
        for (double[] row : ge) for (double v : row) scale = Math.max(scale, Math.abs(v));
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < dim; c++) {
                assertEquals(ge[r][c], g.get(r, c), 1e-5 * scale, "d loss / d E[" + r + "][" + c + "]");
            }
        }
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) m[i][i] = 1;
        return m;
    }

    private static double[][] mul(double[][] x, double[][] y) {
        double[][] z = new double[x.length][y[0].length];
        for (int i = 0; i < x.length; i++) for (int k = 0; k < y.length; k++) for (int j = 0; j < y[0].length; j++) z[i][j] += x[i][k] * y[k][j];
        return z;
    }

    private static double[][] transpose(double[][] x) {
        double[][] t = new double[x[0].length][x.length];
        for (int i = 0; i < x.length; i++) for (int j = 0; j < x[0].length; j++) t[j][i] = x[i][j];
        return t;
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }
}
