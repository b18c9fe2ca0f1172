package weft.bench.guard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import weft.models.data.Dataset;
import weft.models.data.SyntheticGenerator;

/**
 * The two dataset shapes the guard measures at, generated (so the guard needs no data folder)
 * by {@link SyntheticGenerator} with the sizes of the real sets:
 *
 * <ul>
 *   <li>{@code lastfm}: Last.fm-2K in its MMRec form (the set in the README's tables): 1,858 users,
 *       1,425 items, 20-41 interactions per user (about 56k, 44k of them in training), two
 *       modalities of 128 (audio, VGGish's size) and 384 dimensions (text, MiniLM's size);</li>
 *   <li>{@code shortvideo}: the short-video catalogue ({@link SyntheticGenerator#sparse}): 9,308
 *       users, 6,710 items, 4-10 interactions per user, two 128-d modalities.</li>
 * </ul>
 * The models run with their defaults (d = 64, 4 heads, T = 4 tokens where they attend).
 */
public final class Shapes {
    public static final int DIM = 64, HEADS = 4, TOKENS = 4;

    private Shapes() {}

    public static SyntheticGenerator.Config config(String shape) {
        return switch (shape) {
            case "lastfm" -> {
                SyntheticGenerator.Config c = new SyntheticGenerator.Config();
                c.name = "lastfm";
                c.users = 1858;
                c.items = 1425;
                c.clusters = 16;
                c.minInter = 20;
                c.maxInter = 41;
                c.imageDim = 128;
                c.textDim = 384;
                yield c;
            }
            case "shortvideo" -> SyntheticGenerator.sparse();
            default -> throw new IllegalArgumentException("unknown shape '" + shape + "'; known: lastfm, shortvideo");
        };
    }

    /** The generated dataset of {@code shape} (written to a temporary folder, loaded, removed). */
    public static Dataset dataset(String shape) {
        try {
            Path dir = Files.createTempDirectory("weft-guard-" + shape);
            try {
                SyntheticGenerator.write(config(shape), dir);
                return Dataset.load(dir);
            } finally {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
