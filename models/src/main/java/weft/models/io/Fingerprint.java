package weft.models.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.models.data.Dataset;
import weft.models.data.IdMap;
import weft.models.data.UserItems;

/**
 * SHA-256 of what a dataset feeds a model: its sizes, the train / valid / test interactions, the
 * raw ids, every modality's values (after normalisation) and every precomputed item graph. Two
 * loads of the same files give the same fingerprint; a changed interaction, feature value or id
 * gives another. A saved model and a training checkpoint record it, so that a resume or a
 * cold-start rebuild on other data is refused instead of silently mixing the two.
 */
public final class Fingerprint {
    private Fingerprint() {}

    /** Lower-case hex SHA-256 of a byte array. */
    public static String sha256(byte[] bytes) {
        MessageDigest md = digest();
        md.update(bytes);
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    public static String of(Dataset data) {
        MessageDigest md = digest();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        putInt(md, buf, data.numUsers());
        putInt(md, buf, data.numItems());
        for (UserItems ui : new UserItems[] {data.train(), data.valid(), data.test()}) {
            putInt(md, buf, ui.size());
            for (int u = 0; u < ui.numUsers(); u++) {
                for (int p = ui.start(u); p < ui.end(u); p++) {
                    putInt(md, buf, u);
                    putInt(md, buf, ui.itemAt(p));
                }
            }
        }
        for (IdMap ids : new IdMap[] {data.userIds(), data.itemIds()}) {
            if (ids.isIdentity()) {
                putString(md, buf, "identity");
            } else {
                for (int i = 0; i < ids.size(); i++) putString(md, buf, ids.raw(i));
            }
        }
        for (Map.Entry<String, Tensor> e : data.modalities().entrySet()) {
            putString(md, buf, "modality " + e.getKey());
            Tensor t = e.getValue();
            putInt(md, buf, t.rows);
            putInt(md, buf, t.cols);
            for (int i = 0; i < t.size(); i++) {
                putInt(md, buf, Float.floatToIntBits(t.data[t.offset + i]));
            }
        }
        for (Map.Entry<String, CsrMatrix> e : data.itemGraphs().entrySet()) {
            putString(md, buf, "graph " + e.getKey());
            CsrMatrix g = e.getValue();
            for (int r = 0; r < g.rows(); r++) {
                for (int k = g.rowStart(r); k < g.rowEnd(r); k++) {
                    putInt(md, buf, r);
                    putInt(md, buf, g.colAt(k));
                    putInt(md, buf, Float.floatToIntBits(g.valueAt(k)));
                }
            }
        }
        flush(md, buf);
        return HexFormat.of().formatHex(md.digest());
    }

    private static void putInt(MessageDigest md, ByteBuffer buf, int v) {
        if (buf.remaining() < 4) flush(md, buf);
        buf.putInt(v);
    }

    private static void putString(MessageDigest md, ByteBuffer buf, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        putInt(md, buf, b.length);
        flush(md, buf);
        md.update(b);
    }

    private static void flush(MessageDigest md, ByteBuffer buf) {
        md.update(buf.array(), 0, buf.position());
        buf.clear();
    }
}
