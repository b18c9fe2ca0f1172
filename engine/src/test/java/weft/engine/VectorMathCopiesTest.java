package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The vector exp, log and lane-sum code is written out at each use rather than called (C2 boxes
 * vectors passed to a helper of our own once that helper is compiled on its own: see
 * {@code VectorMath}'s class comment). This test keeps the copies identical: each copy, with its
 * variable names replaced by placeholders, must equal the first, so a fix made to one copy and
 * not the others fails here instead of making one kernel quietly differ.
 */
class VectorMathCopiesTest {
    private static final Path SRC = Path.of("src/main/java/weft/engine");

    @Test
    void expCopiesAreIdentical() throws IOException {
        List<String> copies = copies(read("VectorMath.java"),
                Pattern.compile("^\\s*// (\\w+) = exp\\((\\w+)\\), see the class comment$"), 11,
                m -> new String[] {m.group(1), "[XTNRPIH]?", m.group(2), null});
        assertTrue(copies.size() >= 6, "expected the exp copies of exp, rowSoftmax, rowLogSoftmax, tanh, sigmoid, softplus: " + copies.size());
        assertAllEqual("exp", copies);
    }

    @Test
    void logCopiesAreIdentical() throws IOException {
        List<String> copies = copies(read("VectorMath.java"),
                Pattern.compile("^\\s*// (\\w+) = log\\((\\w+)\\) \\+ \\((.*)\\) ln 2 for a positive normal \\w+, see the class comment$"), 10,
                m -> new String[] {m.group(1), "[BMESFZPY]?", m.group(2), m.group(3)});
        assertTrue(copies.size() >= 2, "expected the log copies of log and softplus: " + copies.size());
        assertAllEqual("log", copies);
    }

    @Test
    void laneSumCopiesAreIdentical() throws IOException {
        List<String> copies = new ArrayList<>();
        Pattern start = Pattern.compile("^\\s*float (\\w+) = 0f \\+ (\\w+)\\.lane\\(0\\);$");
        for (String file : List.of("VectorMath.java", "PanamaKernels.java", "PanamaGemm.java")) {
            copies.addAll(copies(read(file), start, 8, m -> new String[] {m.group(1), "", m.group(2), null}, true));
        }
        assertTrue(copies.size() >= 6, "expected the lane sums of rowSoftmax, rowLogSoftmax, sum, dot, sumSquares, gemm dot: " + copies.size());
        assertAllEqual("lane sum", copies);
    }

    private interface Names {
        /** {output prefix, suffix class of the output's temporaries, input name, an expression to drop or null}. */
        String[] of(Matcher m);
    }

    private static List<String> read(String file) throws IOException {
        return Files.readAllLines(SRC.resolve(file));
    }

    private static List<String> copies(List<String> lines, Pattern start, int length, Names names) {
        return copies(lines, start, length, names, false);
    }

    /** Each block that starts at a line matching {@code start}, with its names replaced by placeholders. */
    private static List<String> copies(List<String> lines, Pattern start, int length, Names names, boolean includeStart) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = start.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            String[] n = names.of(m);
            StringBuilder block = new StringBuilder();
            int from = includeStart ? i : i + 1;
            for (int j = from; j < from + length && j < lines.size(); j++) {
                String s = lines.get(j).strip();
                if (n[3] != null && !n[3].isEmpty()) {
                    s = s.replace(n[3], "");       // the exponent adjustment some copies add
                }
                s = s.replaceAll("\\b" + Pattern.quote(n[0]) + "(" + n[1] + ")\\b", "OUT$1");
                s = s.replaceAll("\\b" + Pattern.quote(n[2]) + "\\b", "IN");
                block.append(s).append('\n');
            }
            out.add(block.toString());
        }
        return out;
    }

    private static void assertAllEqual(String what, List<String> copies) {
        for (int i = 1; i < copies.size(); i++) {
            assertEquals(copies.get(0), copies.get(i), what + " copy " + (i + 1) + " differs from the first");
        }
    }
}
