package io.genten.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Write-to-temp-then-rename, so readers never see a half-written file and a failed write leaves the old one. */
final class AtomicFiles {
    private AtomicFiles() {}

    @FunctionalInterface
    interface Writer {
        void writeTo(Path tmp) throws IOException;
    }

    static void write(Path file, Writer writer) throws IOException {
        var dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        var tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            writer.writeTo(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
