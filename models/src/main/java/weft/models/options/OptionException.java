package weft.models.options;

/**
 * A model option with a value it does not accept, or a combination of options that does not
 * work together. The message names the option as a flag ({@code --heads}), so the command line
 * can print it as it is and a Java caller knows which setting to change.
 */
public final class OptionException extends IllegalArgumentException {
    public OptionException(String message) {
        super(message);
    }

    /** Throws naming the problem unless {@code ok}. */
    public static void require(boolean ok, String message) {
        if (!ok) {
            throw new OptionException(message);
        }
    }
}
