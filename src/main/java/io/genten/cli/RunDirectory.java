package io.genten.cli;

import io.genten.io.Printable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * A training run's output folder, owned by one run at a time: an OS lock on {@code .genten.lock}
 * (released by the kernel when the process dies, even by kill -9, so it never goes stale) whose
 * text names the owner's pid, host and start time for the refusal message. While it holds the
 * lock the run may clean the temp files a killed writer left ({@code .<name>*.tmp}, see
 * {@code AtomicFiles}), knowing no other run is writing them.
 */
final class RunDirectory implements AutoCloseable {
    static final String LOCK_FILE = ".genten.lock";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private RunDirectory(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Creates the folder if needed and locks it; a folder in use by another run is refused naming that run. */
    static RunDirectory acquire(Path dir) throws IOException {
        Files.createDirectories(dir);
        var lockFile = dir.resolve(LOCK_FILE);
        var ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very JVM (another run in-process)
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            String owner;
            try {
                owner = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                owner = "";
            } finally {
                ch.close();
            }
            throw new UsageException("--out " + dir + " is in use by another genten run" + (owner.isEmpty() ? "" : " (" + Printable.of(owner) + ")")
                    + "; wait for it to finish or choose another --out");
        }
        try {
            String me = "pid " + ProcessHandle.current().pid() + " on host " + host() + " since " + Instant.now();
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            lock.release();
            ch.close();
            throw e;
        }
        return new RunDirectory(dir, ch, lock);
    }

    Path path() { return dir; }

    /** Deletes the temp files that a killed run's atomic writes left; returns how many. */
    int cleanTempFiles() throws IOException {
        int n = 0;
        try (var files = Files.list(dir)) {
            for (var p : files.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".tmp") && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        }
        return n;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String name = ManagementFactory.getRuntimeMXBean().getName(); // pid@host on HotSpot
            return name.contains("@") ? name.substring(name.indexOf('@') + 1) : "unknown";
        }
    }

    @Override public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
