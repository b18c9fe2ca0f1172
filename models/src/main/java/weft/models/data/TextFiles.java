package weft.models.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Helpers shared by the text-file readers. */
final class TextFiles {
    private TextFiles() {}

    /**
     * The error for a file that is not valid UTF-8: scans it for the first malformed byte
     * sequence and names its line, field (tab-separated column) and character position.
     */
    static DataFormatException notUtf8(Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            long line = 1, offset = 0;
            int field = 1, charInLine = 1;
            int b;
            while ((b = in.read()) >= 0) {
                int need;
                if (b < 0x80) {
                    need = 0;
                } else if (b >= 0xC2 && b <= 0xDF) {
                    need = 1;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    need = 2;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    need = 3;
                } else {
                    return bad(file, line, field, charInLine, offset, b);
                }
                long at = offset;
                int first = b;
                for (int k = 0; k < need; k++) {
                    int c = in.read();
                    offset++;
                    if (c < 0x80 || c > 0xBF) {
                        return bad(file, line, field, charInLine, at, first);
                    }
                }
                offset++;
                if (b == '\n') {
                    line++;
                    field = 1;
                    charInLine = 1;
                } else {
                    if (b == '\t') field++;
                    charInLine++;
                }
            }
            return DataFormatException.inFile(file, "not UTF-8 text");
        } catch (IOException e) {
            return DataFormatException.io(file, e);
        }
    }

    private static DataFormatException bad(Path file, long line, int field, int charInLine, long offset, int b) {
        return DataFormatException.at(file, line, field, String.format(Locale.ROOT,
                "byte 0x%02x (character %d of the line, byte offset %d in the file) is not valid UTF-8; save the file as UTF-8 text",
                b, charInLine, offset));
    }
}
