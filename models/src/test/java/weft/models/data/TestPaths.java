package weft.models.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find the repository's test-data/ and the shared real datasets, whatever
 * folder Maven runs them from (the module folder, or the root with -f).
 */
public final class TestPaths {
    private TestPaths() {}

    /** The repository root: the nearest ancestor of the working folder holding test-data/ and pom.xml. */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve("test-data")) && Files.isRegularFile(q.resolve("pom.xml"))) {
                return q;
            }
        }
        throw new IllegalStateException("no repository root (a folder with test-data/ and pom.xml) above " + p);
    }

    public static Path testData() {
        return repoRoot().resolve("test-data");
    }

    /** The shared real-data folder: -Dweft.shared=DIR, else ../shared/data beside the repository. */
    public static Path sharedData() {
        String prop = System.getProperty("weft.shared");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return repoRoot().resolveSibling("shared").resolve("data");
    }
}
