package weft.models.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.Adjacency;
import weft.graph.CsrMatrix;
import weft.models.data.Dataset;
import weft.models.data.Split;
import weft.models.data.UserItems;

/**
 * {@link ContentSignal}: features that follow the interactions' clusters give a lift far above 1
 * and full content weight; features drawn independently of them give a lift near 1 and a small
 * weight; the weight's clamps; the cases it does not measure.
 */
public class ContentSignalTest {
    static final int CLUSTERS = 10, PER_CLUSTER = 20, USERS = 300, WIDTH = 16;

    /**
     * 300 users, 200 items in 10 clusters of 20; each user takes 6 distinct items of one cluster
     * (4 in training, one valid, one test). "image" is the cluster's one-hot plus noise when
     * {@code informative}, else every modality is noise independent of the clusters.
     */
    public static Dataset clustered(boolean informative) {
        int n = CLUSTERS * PER_CLUSTER;
        Rng rng = new Rng(11);
        int[] tu = new int[USERS * 4], ti = new int[USERS * 4], vu = new int[USERS], vi = new int[USERS], xi = new int[USERS];
        int[] pick = new int[PER_CLUSTER];
        for (int u = 0; u < USERS; u++) {
            int c = u % CLUSTERS;
            for (int r = 0; r < PER_CLUSTER; r++) pick[r] = r;
            for (int r = 0; r < 6; r++) {   // partial Fisher-Yates: 6 distinct items of the cluster
                int s = r + rng.nextInt(PER_CLUSTER - r), t = pick[r];
                pick[r] = pick[s];
                pick[s] = t;
            }
            for (int r = 0; r < 4; r++) {
                tu[u * 4 + r] = u;
                ti[u * 4 + r] = c * PER_CLUSTER + pick[r];
            }
            vu[u] = u;
            vi[u] = c * PER_CLUSTER + pick[4];
            xi[u] = c * PER_CLUSTER + pick[5];
        }
        Split split = new Split(UserItems.fromPairs(USERS, n, tu, ti), UserItems.fromPairs(USERS, n, vu, vi),
                UserItems.fromPairs(USERS, n, vu, xi));
        Map<String, Tensor> mods = new LinkedHashMap<>();
        Tensor image = rng.normal(new Tensor(n, WIDTH), 0f, informative ? 0.3f : 1f);
        if (informative) {
            for (int i = 0; i < n; i++) image.data[i * WIDTH + i / PER_CLUSTER] += 1f;
        }
        mods.put("image", image);
        mods.put("text", rng.normal(new Tensor(n, WIDTH), 0f, 1f));
        return new Dataset(informative ? "clustered" : "noise", split, mods);
    }

    @Test
    void informativeFeaturesGetFullWeightNoiseLittle() {
        ContentSignal.Measured good = ContentSignal.of(clustered(true), clustered(true).modalities());
        assertTrue(good.lifts().get("image") > 3, "cluster features: lift " + good.lifts());
        assertTrue(good.lifts().get("text") < 1.5, "noise beside them: lift " + good.lifts());
        assertEquals(good.lifts().get("image"), good.lift(), 0, "the largest lift counts");
        assertEquals(1.0, good.weight(), 0, "full weight");

        ContentSignal.Measured noise = ContentSignal.of(clustered(false), clustered(false).modalities());
        for (double l : noise.lifts().values()) {
            assertTrue(l > 0.6 && l < 1.5, "features independent of the interactions: lift near 1, got " + noise.lifts());
        }
        assertTrue(noise.weight() < 0.5, "little weight, got " + noise.weight());
        assertEquals(noise.weight(), ContentSignal.of(clustered(false), clustered(false).modalities()).weight(), 0,
                "a property of the data: the same every time");
        assertEquals(noise.weight(), noise.facts().get("content_weight"));
        assertEquals(noise.lifts().get("text"), noise.facts().get("content_lift_text"));
    }

    @Test
    void weightIsTheLiftAboveOneClamped() {
        assertEquals(0.0, ContentSignal.weight(0.7), 0);
        assertEquals(0.0, ContentSignal.weight(1.0), 0);
        assertEquals(0.25, ContentSignal.weight(1.25), 1e-12);
        assertEquals(1.0, ContentSignal.weight(2.0), 0);
        assertEquals(1.0, ContentSignal.weight(7.5), 0);
        assertEquals(1.0, ContentSignal.weight(Double.NaN), 0, "not measured: the model as designed");
    }

    @Test
    void notMeasuredOnTinyCataloguesOrWithoutSharedUsers() {
        Dataset d = clustered(true);
        CsrMatrix itemUsers = Graphs.interactions(d).transpose();
        Tensor few = new Rng(1).normal(new Tensor(ContentSignal.SMALLEST_CATALOGUE, 4), 0f, 1f);
        int[] users = new int[ContentSignal.SMALLEST_CATALOGUE], items = new int[ContentSignal.SMALLEST_CATALOGUE];
        for (int i = 0; i < items.length; i++) {
            users[i] = i % 3;
            items[i] = i;
        }
        CsrMatrix small = itemUsers(3, items.length, users, items);
        assertTrue(Double.isNaN(ContentSignal.lift(small, few)), "at most " + ContentSignal.SMALLEST_CATALOGUE + " items");

        int n = itemUsers.rows();
        int[] own = new int[n], all = new int[n];
        for (int i = 0; i < n; i++) {
            own[i] = i;   // user i bought item i only: no two items share a user
            all[i] = i;
        }
        CsrMatrix single = itemUsers(n, n, own, all);
        assertTrue(Double.isNaN(ContentSignal.lift(single, d.modality("image"))), "no shared users: nothing to tell");
        assertEquals(1.0, ContentSignal.weight(ContentSignal.lift(single, d.modality("image"))), 0);
    }

    @Test
    void featuresOfAnotherCatalogueAreRefused() {
        CsrMatrix itemUsers = Graphs.interactions(clustered(true)).transpose();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ContentSignal.lift(itemUsers, new Tensor(7, 3)));
        assertTrue(e.getMessage().contains("[7, 3]") && e.getMessage().contains("200 items"), e.getMessage());
    }

    /** [items, users] from (user, item) pairs, as {@link ContentSignal#lift} takes them. */
    private static CsrMatrix itemUsers(int numUsers, int numItems, int[] users, int[] items) {
        return Adjacency.interactions(numUsers, numItems, users, items).transpose();
    }
}
