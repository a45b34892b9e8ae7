package io.genten.cli;

import io.genten.io.CsvLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's {@code losses.csv}, kept so that nothing of a previous run is lost: a new run opens
 * its log only once its first step has trained, and then moves an existing log aside to
 * {@code losses.1.csv} (.2, ... : never over an older one); a resumed run first drops the rows of
 * steps after the saved state (those a kill interrupted, which it will train again), then appends.
 */
final class LossLog {
    private LossLog() {}

    static CsvLog startNew(Path file, List<String> lossNames) throws IOException {
        if (Files.exists(file)) {
            String name = file.getFileName().toString();
            String stem = name.endsWith(".csv") ? name.substring(0, name.length() - 4) : name;
            Path aside;
            for (int k = 1; ; k++) {
                aside = file.resolveSibling(stem + "." + k + ".csv");
                if (!Files.exists(aside)) break;
            }
            Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
        }
        return CsvLog.open(file, lossNames);
    }

    static CsvLog resume(Path file, List<String> lossNames, long savedSteps) throws IOException {
        if (Files.exists(file)) {
            var lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            var kept = new ArrayList<String>();
            boolean dropped = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (i > 0 && stepOf(line) > savedSteps) {
                    dropped = true;
                    continue;
                }
                kept.add(line);
            }
            if (dropped) {
                var tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
                try {
                    Files.write(tmp, kept, StandardCharsets.UTF_8);
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
        return CsvLog.open(file, lossNames);
    }

    /** The step of a row; a row that cannot be read (a torn last line) counts as beyond the state. */
    private static long stepOf(String row) {
        int comma = row.indexOf(',');
        try {
            return Long.parseLong(comma < 0 ? row : row.substring(0, comma));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
