package io.genten.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The command line's view of the library's {@link System.Logger} messages (which go to
 * java.util.logging when no other backend is installed): one line each on stderr,
 * {@code genten: WARNING: ...}. The default level is WARNING (the commands print their own device
 * and backend lines); {@code -Dgenten.log=INFO} or {@code FINE} (DEBUG: e.g. cuDNN's algorithm
 * choices) shows more. A user's own {@code java.util.logging.config.file} is left alone.
 */
final class CliLogging {
    // java.util.logging holds loggers weakly: keep ours, or its level is lost to the GC
    private static final Logger GENTEN = Logger.getLogger("io.genten");

    private CliLogging() {}

    static void configure() {
        if (System.getProperty("java.util.logging.config.file") != null) return;
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "genten: %4$s: %5$s%6$s%n");
        }
        Level level;
        try {
            level = Level.parse(System.getProperty("genten.log", "WARNING").toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            level = Level.WARNING;
        }
        GENTEN.setLevel(level);
        for (Handler h : Logger.getLogger("").getHandlers()) {
            if (h.getLevel().intValue() > level.intValue()) h.setLevel(level);
        }
    }
}
