package weft.models.data;

import java.nio.file.Path;

/**
 * A data file that cannot be read as what it claims to be. The message always starts with where
 * the problem is ({@code file:line:column} for text files, {@code file: byte N} for binary ones)
 * and says what was expected, so a command line can print it as is, without a stack trace.
 *
 * <p>Unchecked because callers cannot recover from a malformed file other than by reporting it;
 * the location is kept in fields for tools that want to point at it.
 */
public final class DataFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long line;
    private final int column;

    private DataFormatException(Path file, long line, int column, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.line = line;
        this.column = column;
    }

    /** A problem at a 1-based line and 1-based column (field number) of a text file; 0 means "not applicable". */
    public static DataFormatException at(Path file, long line, int column, String detail) {
        StringBuilder where = new StringBuilder(String.valueOf(file));
        if (line > 0) {
            where.append(':').append(line);
            if (column > 0) {
                where.append(':').append(column);
            }
        }
        return new DataFormatException(file, line, column, where + ": " + detail, null);
    }

    /** A problem with the file as a whole (empty, missing columns, wrong shape). */
    public static DataFormatException inFile(Path file, String detail) {
        return at(file, 0, 0, detail);
    }

    /** A problem at a byte offset of a binary file. */
    public static DataFormatException atByte(Path file, long byteOffset, String detail) {
        return new DataFormatException(file, 0, 0, file + ": byte " + byteOffset + ": " + detail, null);
    }

    /** An I/O failure while reading, reported with the file's name. */
    public static DataFormatException io(Path file, java.io.IOException e) {
        return new DataFormatException(file, 0, 0, file + ": cannot read: " + e.getMessage(), e);
    }

    public Path file() {
        return file;
    }

    /** 1-based line, or 0 when the problem is not on one line. */
    public long line() {
        return line;
    }

    /** 1-based column (tab-separated field), or 0 when not applicable. */
    public int column() {
        return column;
    }
}
