package weft.models.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import weft.models.data.AtomicFiles;
import weft.models.data.IdMap;
import weft.models.data.Npy;
import weft.models.io.ModelDir;

/**
 * {@code weft export --model DIR --out FOLDER}: a saved model's final embeddings for vector
 * databases and notebooks: {@code user_embeddings.npy} [U, d] and {@code item_embeddings.npy}
 * [I, d] (float32, C order), and {@code users.tsv} / {@code items.tsv} with a header
 * ({@code index\tuserID}, {@code index\titemID}) mapping each row to its raw id. Each file is
 * written atomically.
 */
final class ExportCommand {
    private ExportCommand() {}

    static int run(String[] argv, PrintStream out) {
        Args a = new Args().valued("model", "out").parse(argv, 1);
        if (!a.has("model")) {
            throw new Args.UsageException("--model DIR is required (a folder written by weft train --save DIR)");
        }
        if (!a.has("out")) {
            throw new Args.UsageException("--out FOLDER is required");
        }
        Path folder = Path.of(a.string("out", null));
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new Args.UsageException("--out: '" + folder + "' is a file; give a folder to write the export into");
        }
        ModelDir md = ModelDir.open(Path.of(a.string("model", null)));
        ModelDir.Embeddings e = md.embeddings();
        Npy.write(folder.resolve("user_embeddings.npy"), e.users());
        Npy.write(folder.resolve("item_embeddings.npy"), e.items());
        writeIds(folder.resolve("users.tsv"), "userID", md.userIds());
        writeIds(folder.resolve("items.tsv"), "itemID", md.itemIds());
        out.println("exported " + md.numUsers() + " users and " + md.numItems() + " items (d = " + md.dim() + ") of " + md.model()
                + " to " + folder);
        return 0;
    }

    private static void writeIds(Path file, String column, IdMap ids) {
        AtomicFiles.write(file, os -> {
            StringBuilder sb = new StringBuilder("index\t").append(column).append('\n');
            for (int i = 0; i < ids.size(); i++) {
                sb.append(i).append('\t').append(ids.raw(i)).append('\n');
                if (sb.length() > 1 << 16) {
                    os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                    sb.setLength(0);
                }
            }
            os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        });
    }
}
