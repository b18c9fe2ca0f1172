package weft.models.serve;

import weft.models.data.IdMap;

/** A user or item id the model does not know; the message says how many it knows and what its ids look like. */
public final class UnknownIdException extends IllegalArgumentException {
    private final String id;

    private UnknownIdException(String id, String message) {
        super(message);
        this.id = id;
    }

    /** {@code unknown user 'x' (the model knows 1892 users; ids look like '0', '1', ...)} */
    static UnknownIdException of(String kind, String id, IdMap ids) {
        StringBuilder like = new StringBuilder();
        for (int i = 0; i < Math.min(2, ids.size()); i++) {
            like.append(i == 0 ? "" : ", ").append('\'').append(ids.raw(i)).append('\'');
        }
        return new UnknownIdException(id, "unknown " + kind + " '" + id + "' (the model knows " + ids.size() + " " + kind + "s"
                + (ids.size() == 0 ? ")" : "; ids look like " + like + (ids.size() > 2 ? ", ...)" : ")")));
    }

    /** The same error placed in a file, e.g. {@code users.txt:3: unknown user ...}. */
    public UnknownIdException at(String where) {
        return new UnknownIdException(id, where + ": " + getMessage());
    }

    /** The id that was not found. */
    public String id() {
        return id;
    }
}
