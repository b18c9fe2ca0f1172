package weft.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import weft.models.data.DataFormatException;
import weft.models.io.ModelDir;
import weft.models.io.SafeTensors;

/**
 * Where an executor finds the per-user parts of a model folder, read in slices with positional
 * reads instead of being loaded or broadcast: the user table in {@code embeddings.safetensors}
 * and the interaction columns in {@code data.safetensors}. The driver verifies the folder
 * ({@link ModelDir#open}, every file's SHA-256) and locates the tensors; the executors read the
 * same files at the same path, so the folder must be on a file system every executor sees.
 */
final class ModelFiles implements Serializable {
    private static final long serialVersionUID = 1L;

    final String dir;
    final int numUsers, numItems, dim;
    final boolean integerUserIds;
    /** Byte offset of the F32 [users, dim] table. */
    final long usersOffset;

    private ModelFiles(String dir, int numUsers, int numItems, int dim, boolean integerUserIds, long usersOffset) {
        this.dir = dir;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.dim = dim;
        this.integerUserIds = integerUserIds;
        this.usersOffset = usersOffset;
    }

    static ModelFiles of(ModelDir md) {
        Path emb = md.dir().resolve(ModelDir.EMBEDDINGS);
        SafeTensors.Location users = SafeTensors.locate(emb, "users");
        if (!users.dtype().equals("F32")) {
            throw DataFormatException.inFile(emb, "tensor 'users' is " + users.dtype() + ", expected F32");
        }
        Object ids = md.manifest().get("ids") instanceof java.util.Map<?, ?> m ? m.get("users") : null;
        return new ModelFiles(md.dir().toAbsolutePath().toString(), md.numUsers(), md.numItems(), md.dim(), "integer".equals(ids),
                users.offset());
    }

    /** An I32 column of {@code data.safetensors} (e.g. "train.users"), located for slice reads. */
    static Column column(ModelDir md, String name) {
        Path data = md.dir().resolve(ModelDir.DATA);
        SafeTensors.Location loc = SafeTensors.locate(data, name);
        if (!loc.dtype().equals("I32") || loc.shape().length != 1) {
            throw DataFormatException.inFile(data, "tensor '" + name + "' is " + loc.dtype() + " " + java.util.Arrays.toString(loc.shape())
                    + ", expected a 1-d I32 column");
        }
        return new Column(data.toAbsolutePath().toString(), loc.offset(), (int) loc.shape()[0]);
    }

    /** A 1-d I32 tensor in a file. */
    record Column(String file, long offset, int length) implements Serializable {
        int[] read(int from, int count) {
            int[] out = new int[count];
            try (FileChannel ch = FileChannel.open(Path.of(file), StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, b, offset + 4L * from, file);
                b.flip();
                b.asIntBuffer().get(out);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
            }
            return out;
        }
    }

    /** Reads the rows of the user table: one positional read per user, into {@code out} [users.length, dim]. */
    final class UserRows implements AutoCloseable {
        private final FileChannel ch;
        private final ByteBuffer row = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
        private final String file = Path.of(dir, ModelDir.EMBEDDINGS).toString();

        UserRows() {
            try {
                ch = FileChannel.open(Path.of(file), StandardOpenOption.READ);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
            }
        }

        void read(int[] users, int count, float[] out) {
            try {
                for (int j = 0; j < count; j++) {
                    row.clear();
                    readFully(ch, row, usersOffset + (long) users[j] * dim * 4, file);
                    row.flip();
                    row.asFloatBuffer().get(out, j * dim, dim);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, String file) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new IOException(file + " ends before byte " + pos + " (changed since the model was opened?)");
            }
            pos += r;
        }
    }
}
