package weft.models.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import weft.engine.Parallel;
import weft.engine.Tensor;
import weft.models.io.ModelDir;
import weft.models.data.Npy;
import weft.models.data.AtomicFiles;
import weft.models.data.DataFormatException;
import weft.models.serve.Recommendation;
import weft.models.serve.UnknownIdException;
import weft.models.serve.Weft;
import weft.models.serve.WeftModel;

/**
 * {@code weft recommend}: answers from a saved model folder.
 *
 * <pre>
 *   --model DIR --user ID [--k 20] [--include-seen]     top-k for one user: rank, item id, score
 *   --model DIR --users FILE --out FILE.tsv [--k 20] [--include-seen] [--skip-unknown]
 *                                                       many users: FILE holds one user id per line (blank lines
 *                                                       skipped; a first line "userID" is a header); the output
 *                                                       is userID, rank, itemID, score per line, in input order
 *   --model DIR --item ID [--k 20]                      similar items (cosine of the final item embeddings)
 *   --model DIR --items A,B,C [--k 20]                  a new user folded in from these items (their mean embedding)
 *   ... --new-items NAME=FILE.npy [--new-ids FILE]      any of the above with items unseen in training added to the
 *                                                       catalogue from their raw feature rows (one flag per modality
 *                                                       the model read; a bare FILE.npy for a one-modality model);
 *                                                       they are named new:0, new:1, ... unless --new-ids names them
 * </pre>
 *
 * An unknown id ends the command with a one-line message and exit code 2 (in a users file, with its
 * line number), unless {@code --skip-unknown} counts and skips unknown users.
 */
final class RecommendCommand {
    /** Users answered per block of {@code --users}: each block is scored in parallel, then written in order. */
    static final int BLOCK = 512;

    private RecommendCommand() {}

    static int run(String[] argv, PrintStream out) throws IOException {
        Args a = new Args().valued("model", "user", "users", "out", "k", "item", "items", "new-ids", "threads")
                .repeatable("new-items").switches("include-seen", "skip-unknown").parse(argv, 1);
        if (!a.has("model")) {
            throw new Args.UsageException("--model DIR is required (a folder written by weft train --save DIR)");
        }
        int modes = (a.has("user") ? 1 : 0) + (a.has("users") ? 1 : 0) + (a.has("item") ? 1 : 0) + (a.has("items") ? 1 : 0);
        if (modes != 1) {
            throw new Args.UsageException("give exactly one of --user ID, --users FILE, --item ID, --items A,B,C");
        }
        int k = a.integer("k", 20, 1);
        boolean includeSeen = a.has("include-seen");
        if (includeSeen && !(a.has("user") || a.has("users"))) {
            throw new Args.UsageException("--include-seen applies to --user and --users only");
        }
        if (a.has("skip-unknown") && !a.has("users")) {
            throw new Args.UsageException("--skip-unknown applies to --users only");
        }
        if (a.has("out") != a.has("users")) {
            throw new Args.UsageException(a.has("users") ? "--users FILE needs --out FILE.tsv" : "--out applies to --users only");
        }
        if (a.has("threads")) {
            Parallel.setThreads(a.integer("threads", Parallel.threads(), 1));
        }
        if (a.has("new-ids") && !a.has("new-items")) {
            throw new Args.UsageException("--new-ids names the items of --new-items; give --new-items too");
        }
        Path dir = Path.of(a.string("model", null));
        WeftModel m = a.has("new-items") ? withNewItems(dir, a) : Weft.load(dir);
        if (a.has("user")) {
            print(out, m.recommend(a.string("user", null), k, includeSeen));
        } else if (a.has("item")) {
            print(out, m.similarItems(a.string("item", null), k));
        } else if (a.has("items")) {
            List<String> ids = new ArrayList<>();
            for (String s : a.string("items", "").split(",")) {
                if (!s.isBlank()) {
                    ids.add(s.trim());
                }
            }
            if (ids.isEmpty()) {
                throw new Args.UsageException("--items takes comma-separated item ids, e.g. --items 12,40,7");
            }
            print(out, m.recommendForItems(ids, k));
        } else {
            many(m, Path.of(a.string("users", null)), Path.of(a.string("out", null)), k, includeSeen, a.has("skip-unknown"), out);
        }
        return 0;
    }

    /**
     * Cold start: {@code --new-items NAME=FILE.npy} (one per modality the model read; a bare
     * FILE.npy when it read one), raw feature rows of items unseen in training, optionally named by
     * {@code --new-ids FILE} (one id per line); they are ranked together with the catalogue.
     */
    private static WeftModel withNewItems(Path dir, Args a) {
        ModelDir.Rebuilt r = ModelDir.open(dir).rebuild();
        Set<String> modalities = r.data().modalities().keySet();
        Map<String, Tensor> feats = new LinkedHashMap<>();
        for (String v : a.all("new-items")) {
            int eq = v.indexOf('=');
            String name;
            String file;
            if (eq > 0) {
                name = v.substring(0, eq);
                file = v.substring(eq + 1);
            } else if (modalities.size() == 1) {
                name = modalities.iterator().next();
                file = v;
            } else {
                throw new Args.UsageException("--new-items " + v + ": this " + r.spec().name() + " read " + modalities.size()
                        + " modalities " + modalities + "; give one --new-items NAME=FILE.npy for each");
            }
            if (feats.put(name, Npy.read(Path.of(file))) != null) {
                throw new Args.UsageException("--new-items names modality '" + name + "' twice");
            }
        }
        List<String> ids = null;
        if (a.has("new-ids")) {
            ids = readUsers(Path.of(a.string("new-ids", null))).ids();
        }
        return Weft.withNewItems(r, feats, ids);
    }

    private static void print(PrintStream out, List<Recommendation> recs) {
        out.println("rank\titemID\tscore");
        for (int r = 0; r < recs.size(); r++) {
            Recommendation x = recs.get(r);
            out.println((r + 1) + "\t" + x.itemId() + "\t" + score(x.score()));
        }
    }

    static String score(float s) {
        return String.format(Locale.ROOT, "%.6g", s);
    }

    /** The users of a users file: ids and their line numbers, the header and blank lines left out. */
    record UserList(List<String> ids, List<Integer> lines) {}

    static UserList readUsers(Path file) {
        List<String> lines;
        try {
            lines = List.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString().split("\r?\n", -1));
        } catch (CharacterCodingException e) {
            throw DataFormatException.inFile(file, "is not UTF-8 text");
        } catch (java.nio.file.NoSuchFileException e) {
            throw DataFormatException.inFile(file, "no such file");
        } catch (IOException e) {
            throw DataFormatException.inFile(file, "cannot be read: " + e.getMessage());
        }
        List<String> ids = new ArrayList<>();
        List<Integer> nums = new ArrayList<>();
        boolean first = true;
        for (int i = 0; i < lines.size(); i++) {
            String id = lines.get(i).strip();
            if (id.isEmpty()) {
                continue;
            }
            boolean header = first && isHeader(id);
            first = false;
            if (header) {
                continue;
            }
            if (id.indexOf('\t') >= 0) {
                throw DataFormatException.at(file, i + 1, id.indexOf('\t') + 1, "one user id per line expected, found a tab");
            }
            ids.add(id);
            nums.add(i + 1);
        }
        return new UserList(ids, nums);
    }

    private static boolean isHeader(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        return t.equals("userid") || t.equals("user_id") || t.equals("userid:token");
    }

    private static void many(WeftModel m, Path usersFile, Path outFile, int k, boolean includeSeen, boolean skipUnknown,
                             PrintStream out) {
        UserList list = readUsers(usersFile);
        int n = list.ids().size();
        int[] index = new int[n];
        int skipped = 0;
        String firstSkipped = null;
        for (int j = 0; j < n; j++) {
            String id = list.ids().get(j);
            int u = m.userIds().indexOf(id);
            if (u < 0) {
                if (!skipUnknown) {
                    try {
                        m.userIndex(id);
                    } catch (UnknownIdException e) {
                        throw e.at(usersFile + ":" + list.lines().get(j));
                    }
                }
                if (firstSkipped == null) {
                    firstSkipped = "'" + id + "' at line " + list.lines().get(j);
                }
                skipped++;
            }
            index[j] = u;
        }
        AtomicFiles.write(outFile, os -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
            w.write("userID\trank\titemID\tscore\n");
            String[] block = new String[BLOCK];
            for (int from = 0; from < n; from += BLOCK) {
                int start = from, len = Math.min(BLOCK, n - from);
                Parallel.forEach(len, j -> {
                    int u = index[start + j];
                    if (u < 0) {
                        block[j] = "";
                        return;
                    }
                    StringBuilder sb = new StringBuilder();
                    String id = list.ids().get(start + j);
                    List<Recommendation> recs = m.recommendIndex(u, k, includeSeen);
                    for (int r = 0; r < recs.size(); r++) {
                        sb.append(id).append('\t').append(r + 1).append('\t').append(recs.get(r).itemId()).append('\t')
                                .append(score(recs.get(r).score())).append('\n');
                    }
                    block[j] = sb.toString();
                });
                for (int j = 0; j < len; j++) {
                    w.write(block[j]);
                }
            }
            w.flush();
        });
        out.println("recommendations for " + (n - skipped) + " users written to " + outFile
                + (skipped > 0 ? " (skipped " + skipped + " unknown users, first " + firstSkipped + ")" : ""));
    }
}
