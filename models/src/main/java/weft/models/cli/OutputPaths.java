package weft.models.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks, before any work starts, that an output file named by a flag can be written: so an
 * unwritable {@code --report} is found in a second, not after the whole training.
 */
public final class OutputPaths {
    private OutputPaths() {}

    /**
     * Throws a {@link Args.UsageException} naming {@code flag} and {@code target} unless the file
     * can be written atomically (a temp file beside it, then a rename): the target is not a
     * folder; an existing target can be opened for writing (not read-only, not immutable); its
     * folder exists, or its nearest existing ancestor is a folder, and a probe file can be created
     * and deleted there. Nothing is left behind and an existing target is not changed.
     */
    public static void requireWritable(String flag, Path target) {
        String f = flag.startsWith("--") ? flag : "--" + flag;
        Path abs = target.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            throw new Args.UsageException(f + ": '" + target + "' is a folder; give a file path");
        }
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && Files.exists(abs)) {
            if (!Files.isRegularFile(abs)) {
                throw new Args.UsageException(f + ": '" + target + "' exists and is not a regular file");
            }
            try (FileChannel ch = FileChannel.open(abs, StandardOpenOption.WRITE)) {
                // opened for writing and closed untouched: the file is neither read-only nor immutable
            } catch (IOException e) {
                throw new Args.UsageException(f + ": cannot write '" + target + "' (" + reason(e) + ")");
            }
        }
        Path dir = abs.getParent();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            throw new Args.UsageException(f + ": cannot write '" + target + "': '" + (existing == null ? dir : existing)
                    + "' is not a folder");
        }
        Path probe = null;
        try {
            probe = Files.createTempFile(existing, ".weft-probe-", ".tmp");
        } catch (IOException e) {
            throw new Args.UsageException(f + ": cannot write '" + target + "': folder '" + existing + "' is not writable ("
                    + reason(e) + ")");
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // best effort: the probe is empty
                }
            }
        }
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
