package io.genten.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Write-to-temp-then-rename, so readers never see a half-written file and a failed write (a full
 * disk, a kill) leaves the old one. The temp file is {@code .<name><random>.tmp} in the same
 * folder (a rename across file systems would not be atomic); a killed writer leaves it behind,
 * and the training command removes such files at start. After the rename the folder is synced
 * too, so the new name survives a power loss, not only the new bytes.
 */
final class AtomicFiles {
    private static final Set<PosixFilePermission> DEFAULT_PERMISSIONS = PosixFilePermissions.fromString("rw-r--r--");

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
            keepPermissions(file, tmp);
            try {
                writer.writeTo(tmp);
            } catch (FileSystemException e) {
                throw e;
            } catch (IOException e) {
                // "No space left on device" alone does not say which file: name it
                var named = new FileSystemException(file.toString(), null, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
                named.initCause(e);
                throw named;
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The temp file is created owner-only; give it the permissions of the file it replaces, or rw-r--r--. */
    private static void keepPermissions(Path file, Path tmp) {
        try {
            var perms = Files.exists(file) ? Files.getPosixFilePermissions(file) : DEFAULT_PERMISSIONS;
            Files.setPosixFilePermissions(tmp, perms);
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep what createTempFile gave
        }
    }

    private static void syncDirectory(Path dir) {
        try (var ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot open or sync a folder; the rename itself is still atomic
        }
    }
}
