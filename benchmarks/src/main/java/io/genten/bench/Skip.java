package io.genten.bench;

/**
 * Skips one parameter combination from a {@code @Setup}: JMH reports the combination as failed
 * with this one-line message and goes on with the next. Stackless, so the log stays readable.
 */
public final class Skip extends RuntimeException {
    private Skip(String message) {
        super("SKIPPED: " + message, null, false, false);
    }

    public static Skip because(String message) {
        return new Skip(message);
    }

    public static void unless(boolean condition, String message) {
        if (!condition) throw because(message);
    }
}
