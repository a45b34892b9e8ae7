package io.genten.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * A training log in CSV: header {@code step,epoch,<loss names...>,images_per_s}, then one row per
 * {@link #row} call, flushed at once so a crash loses nothing and a tail -f shows progress.
 * Opening an existing log appends to it (a resumed run) if its header is the same, and refuses otherwise.
 */
public final class CsvLog implements AutoCloseable {
    private final Path file;
    private final List<String> lossNames;
    private final BufferedWriter out;
    private boolean closed;

    private CsvLog(Path file, List<String> lossNames, BufferedWriter out) {
        this.file = file;
        this.lossNames = lossNames;
        this.out = out;
    }

    /**
     * Creates (or replaces) the log and writes the header.
     *
     * @param file      the CSV file
     * @param lossNames the loss columns, in order
     * @return the open log
     * @throws IOException when the file cannot be written
     */
    public static CsvLog open(Path file, List<String> lossNames) throws IOException {
        var names = List.copyOf(lossNames);
        for (var n : names) {
            if (n.isEmpty() || !n.matches("[A-Za-z0-9_.\\-]+") || List.of("step", "epoch", "images_per_s").contains(n)) {
                throw new IllegalArgumentException("CsvLog: bad loss name '" + n + "' (letters, digits, _ . - only; not step, epoch or images_per_s)");
            }
        }
        if (names.stream().distinct().count() != names.size()) throw new IllegalArgumentException("CsvLog: duplicate loss names " + names);
        String header = header(names);
        var parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        if (!fresh) {
            String first;
            try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                first = r.readLine();
            }
            if (!header.equals(first)) {
                throw new IOException(file + ": existing log has header '" + first + "' but this run writes '" + header + "'; use another file");
            }
        }
        var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (fresh) {
            out.write(header);
            out.write("\n");
            out.flush();
        }
        return new CsvLog(file, names, out);
    }

    /**
     * Creates (or replaces) the log and writes the header.
     *
     * @param file      the CSV file
     * @param lossNames the loss columns, in order
     * @return the open log
     * @throws IOException when the file cannot be written
     */
    public static CsvLog open(Path file, String... lossNames) throws IOException {
        return open(file, List.of(lossNames));
    }

    /**
     * The header line for the given loss columns.
     *
     * @param lossNames the loss columns
     * @return "step,epoch,&lt;losses&gt;,images_per_s"
     */
    public static String header(List<String> lossNames) {
        return "step,epoch," + (lossNames.isEmpty() ? "" : String.join(",", lossNames) + ",") + "images_per_s";
    }

    /**
     * The loss columns.
     *
     * @return the names given at open
     */
    public List<String> lossNames() { return lossNames; }

    /**
     * The file written.
     *
     * @return the path
     */
    public Path file() { return file; }

    /**
     * One row; {@code losses} in the order of the names given at open. Non-finite values are written as NaN / Infinity.
     *
     * @param step            the step
     * @param epoch           the epoch
     * @param imagesPerSecond the throughput
     * @param losses          one value per loss column
     * @throws IOException when the row cannot be written
     */
    public synchronized void row(long step, int epoch, double imagesPerSecond, double... losses) throws IOException {
        if (closed) throw new IllegalStateException("CsvLog " + file + " used after close");
        if (losses.length != lossNames.size()) {
            throw new IllegalArgumentException("CsvLog.row: " + losses.length + " losses for columns " + lossNames);
        }
        var b = new StringBuilder().append(step).append(',').append(epoch).append(',');
        for (double l : losses) b.append(format(l)).append(',');
        b.append(String.format(Locale.ROOT, "%.1f", imagesPerSecond));
        out.write(b.toString());
        out.write("\n");
        out.flush();
    }

    /** Shortest text that reads back to the same float: losses are float32 values. */
    private static String format(double v) {
        return Float.isFinite((float) v) ? Float.toString((float) v) : Double.toString(v);
    }

    @Override public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        out.close();
    }
}
