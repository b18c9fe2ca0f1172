package weft.models.eval;

/**
 * The ranking metrics of MMRec's {@code utils/metrics.py}, for one user with ground truth T
 * (|T| &gt; 0) and top-K list r_1..r_K (training items excluded), hit(j) = [r_j in T]:
 * <ul>
 *   <li>Recall@K = hits@K / |T|</li>
 *   <li>Precision@K = hits@K / K</li>
 *   <li>NDCG@K = DCG / IDCG with DCG = sum_{j: hit(j)} 1/log2(j+1) and
 *       IDCG = sum_{j=1}^{min(|T|, K)} 1/log2(j+1) (binary gains)</li>
 *   <li>MAP@K = (sum_{j: hit(j)} hits@j / j) / min(|T|, K): MMRec's map_ - average precision at
 *       the hit positions, normalised by the number of hits the list could have, not by |T|</li>
 *   <li>Hit@K = 1 if hits@K &gt; 0 else 0</li>
 * </ul>
 * Each is averaged over the evaluated users.
 */
public enum Metric {
    RECALL("Recall"),
    NDCG("NDCG"),
    PRECISION("Precision"),
    MAP("MAP"),
    HIT("Hit");

    private final String label;

    Metric(String label) {
        this.label = label;
    }

    /** The display name used in result keys ("Recall@20"). */
    public String label() {
        return label;
    }

    /** The metric named {@code label} (case-insensitive), e.g. "ndcg". */
    public static Metric byLabel(String label) {
        for (Metric m : values()) {
            if (m.label.equalsIgnoreCase(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric '" + label + "'; known: Recall, NDCG, Precision, MAP, Hit");
    }

    /** The result key for this metric at K, e.g. "Recall@20". */
    public String key(int k) {
        return label + "@" + k;
    }
}
