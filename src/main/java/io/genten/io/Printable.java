package io.genten.io;

/**
 * Text from a file or a user put into a message: control characters (a newline, an escape
 * sequence that would repaint the terminal) become visible escapes, and very long text is cut,
 * so every message stays one readable line whatever the input held.
 */
public final class Printable {
    private static final int MAX = 300;

    private Printable() {}

    /**
     * Untrusted text (a tensor name, a metadata value): escaped and cut to 300 characters.
     *
     * @param text the text (null prints as "null")
     * @return one printable line
     */
    public static String of(Object text) { return escape(String.valueOf(text), MAX); }

    /**
     * A whole message: escaped into one line, not cut.
     *
     * @param text the message
     * @return one printable line
     */
    public static String line(String text) { return escape(String.valueOf(text), Integer.MAX_VALUE); }

    private static String escape(String s, int max) {
        var b = new StringBuilder(Math.min(s.length(), 4096) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= max) return b.append("...(").append(s.length()).append(" chars)").toString();
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (Character.isSurrogate(c) && !validPair(s, i))) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else b.append(c);
                }
            }
        }
        return b.toString();
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
