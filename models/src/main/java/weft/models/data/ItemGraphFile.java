package weft.models.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import weft.graph.CsrMatrix;

/**
 * A precomputed item-item graph: a tab-separated file with a header naming the columns
 * {@code itemID} and {@code neighborID} (others ignored), one directed edge per row, e.g. each
 * item's k nearest neighbours by feature similarity. Read as a binary items x items matrix
 * (repeated edges count once); models normalise it as they need.
 *
 * <p>Ids are the dataset's raw item ids, as in its {@code .inter} file (integers for integer-id
 * datasets, the same strings otherwise).
 */
public final class ItemGraphFile {
    private ItemGraphFile() {}

    /** Reads a graph over items with integer ids 0..numItems-1. */
    public static CsrMatrix read(Path file, int numItems) {
        return read(file, IdMap.identity(numItems));
    }

    /** Reads a graph over the items of {@code ids} (raw ids in the file, dense indices in the matrix). */
    public static CsrMatrix read(Path file, IdMap ids) {
        int numItems = ids.size();
        CsrMatrix.Builder b = CsrMatrix.builder(numItems, numItems);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            if (header == null || header.isBlank()) {
                throw DataFormatException.at(file, 1, 1, "empty file; expected a header with itemID and neighborID");
            }
            String[] cols = header.split("\t", -1);
            int ci = -1, cn = -1;
            for (int c = 0; c < cols.length; c++) {
                String h = cols[c].trim();
                if (h.equals("itemID")) ci = c;
                if (h.equals("neighborID")) cn = c;
            }
            if (ci < 0 || cn < 0) {
                throw DataFormatException.at(file, 1, 1, "header must name the columns itemID and neighborID (tab-separated), found '"
                        + header + "'");
            }
            String line;
            long lineNo = 1;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                if (f.length != cols.length) {
                    throw DataFormatException.at(file, lineNo, 1, f.length + " fields, but the header has " + cols.length);
                }
                int item = id(file, lineNo, ci, f[ci], "itemID", ids);
                int nb = id(file, lineNo, cn, f[cn], "neighborID", ids);
                b.add(item, nb, 1f);
            }
            if (b.size() == 0) {
                throw DataFormatException.at(file, lineNo, 1, "no edges after the header");
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw TextFiles.notUtf8(file);
        } catch (IOException e) {
            throw DataFormatException.io(file, e);
        }
        return b.build(CsrMatrix.Duplicates.MAX);
    }

    private static int id(Path file, long line, int col, String text, String what, IdMap ids) {
        int numItems = ids.size();
        if (!ids.isIdentity()) {
            int v = ids.indexOf(text.trim());
            if (v < 0) {
                throw DataFormatException.at(file, line, col + 1, what + " '" + text.trim() + "' is not an item of the dataset");
            }
            return v;
        }
        int v;
        try {
            v = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw DataFormatException.at(file, line, col + 1, what + " '" + text + "' is not a non-negative integer");
        }
        if (v < 0 || v >= numItems) {
            throw DataFormatException.at(file, line, col + 1, what + " " + v + " is outside the dataset's items [0, " + numItems + ")");
        }
        return v;
    }
}
