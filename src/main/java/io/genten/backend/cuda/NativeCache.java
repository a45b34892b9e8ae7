package io.genten.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;

/**
 * Where a library packed in the jar is loaded from: a directory named by the jar entry's CRC-32
 * and size under the cache directory, written once and then reused by every later JVM.
 *
 * <p>Why not a fresh temporary file per JVM (as before): copying 6.5 MB out of the jar cost 0.2-0.35 s
 * of every start on the CPU-only path, and a JVM that was killed left its copy behind (85 MB of
 * them in /tmp after a day of tests). Why not JavaCPP's cache: it keys the file by the jar's
 * name, and every build of ours is called genten.jar, so a rebuild would overwrite, in place, a
 * library that a running JVM has mapped. Here a name is never rewritten with other content; a new
 * build gets a new directory, and a copy is renamed into place atomically, so a racing JVM sees
 * either no file or a whole one.
 */
final class NativeCache {
    /** Overrides the cache directory (default {@code $XDG_CACHE_HOME/genten} or {@code ~/.cache/genten}). */
    static final String PROPERTY = "genten.cache.dir";

    private NativeCache() {}

    /** The cache directory from the property, XDG_CACHE_HOME or the home directory. */
    static Path defaultDirectory() {
        String explicit = System.getProperty(PROPERTY);
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "genten");
        return Path.of(System.getProperty("user.home"), ".cache", "genten");
    }

    /**
     * The library's path on disk: a {@code file:} resource (a class directory) as it is, a jar entry
     * extracted into {@code cache/native/<crc>-<size>/fileName} unless already there.
     *
     * @param resource the resource's URL
     * @param fileName the library's file name
     * @param cache    the cache directory
     * @return a regular file holding the library
     * @throws IOException when it cannot be read or written
     */
    static Path extract(URL resource, String fileName, Path cache) throws IOException {
        if ("file".equals(resource.getProtocol())) {
            try {
                return Path.of(resource.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IOException("cannot use " + resource + " as a file: " + e.getMessage(), e);
            }
        }
        var connection = resource.openConnection();
        connection.setUseCaches(false); // a cached JarFile would stay open (and locked on some systems) after we are done
        long crc = -1, size = -1;
        if (connection instanceof JarURLConnection jar) {
            var entry = jar.getJarEntry();
            crc = entry.getCrc();
            size = entry.getSize();
        }
        if (crc < 0 || size < 0) { // not a jar entry, or one without the sizes in its header: hash the bytes
            try (InputStream in = connection.getInputStream(); var checked = new CheckedInputStream(in, new CRC32())) {
                size = checked.transferTo(java.io.OutputStream.nullOutputStream());
                crc = checked.getChecksum().getValue();
            }
            connection = resource.openConnection();
            connection.setUseCaches(false);
        }
        var directory = cache.resolve("native").resolve(Long.toHexString(crc) + "-" + size);
        var target = directory.resolve(fileName);
        if (Files.isRegularFile(target) && Files.size(target) == size) return target;
        Files.createDirectories(directory);
        var part = Files.createTempFile(directory, fileName, ".part");
        try {
            long copied;
            long copiedCrc;
            try (InputStream in = connection.getInputStream(); var checked = new CheckedInputStream(in, new CRC32())) {
                copied = Files.copy(checked, part, StandardCopyOption.REPLACE_EXISTING);
                copiedCrc = checked.getChecksum().getValue();
            }
            if (copied != size || copiedCrc != crc) {
                throw new IOException("extracting " + resource + ": got " + copied + " bytes with CRC " + Long.toHexString(copiedCrc)
                        + ", the jar says " + size + " bytes with CRC " + Long.toHexString(crc));
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } finally {
            Files.deleteIfExists(part);
        }
    }
}
