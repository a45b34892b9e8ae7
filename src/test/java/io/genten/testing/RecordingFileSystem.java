package io.genten.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A file system that passes every call through to the default one and records, in order, the
 * calls that decide durability: bytes written through a FileChannel, {@code force}, and
 * {@code move}. Lets a test see that a writer syncs its temp file before the rename that
 * publishes it, through the public {@link Path} API only (no hook in the code under test).
 */
public final class RecordingFileSystem extends FileSystem {
    /** One recorded call: kind "write" (bytes), "force", "move" (target in detail), on a file name. */
    public record Event(String kind, String file, String detail) {
        @Override public String toString() { return kind + " " + file + (detail.isEmpty() ? "" : " " + detail); }
    }

    private final FileSystem real = FileSystems.getDefault();
    private final Provider provider = new Provider();
    private final List<Event> events = Collections.synchronizedList(new ArrayList<>());

    /** The recording view of a real path. */
    public Path wrap(Path realPath) { return new RPath(realPath); }

    public List<Event> events() { return List.copyOf(events); }

    private static Path unwrap(Path p) {
        if (p instanceof RPath r) return r.real;
        throw new java.nio.file.ProviderMismatchException("not a recording path: " + p);
    }

    private void record(String kind, Path file, String detail) {
        events.add(new Event(kind, String.valueOf(file.getFileName()), detail));
    }

    /** Asserts the order write... force ... move for the one temp file that became {@code target}. */
    public static void assertSyncedBeforeRename(List<Event> events, String target) {
        int move = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).kind().equals("move") && events.get(i).detail().equals("-> " + target)) move = i;
        }
        org.junit.jupiter.api.Assertions.assertTrue(move >= 0, "no rename onto " + target + " in " + events);
        String tmp = events.get(move).file();
        org.junit.jupiter.api.Assertions.assertTrue(!tmp.equals(target), "written in place, not through a temp file: " + events);
        int lastWrite = -1, lastForce = -1;
        for (int i = 0; i < move; i++) {
            var e = events.get(i);
            if (!e.file().equals(tmp)) continue;
            if (e.kind().equals("write")) lastWrite = i;
            if (e.kind().equals("force")) lastForce = i;
        }
        org.junit.jupiter.api.Assertions.assertTrue(lastWrite >= 0, "nothing written to the temp file " + tmp + ": " + events);
        org.junit.jupiter.api.Assertions.assertTrue(lastForce > lastWrite, "the temp file " + tmp + " is not forced to disk after its last write and before the rename: " + events);
        for (int i = move + 1; i < events.size(); i++) {
            org.junit.jupiter.api.Assertions.assertTrue(!events.get(i).file().equals(target) || !events.get(i).kind().equals("write"), "written after the rename: " + events);
        }
    }

    // ---- FileSystem --------------------------------------------------------------------------

    @Override public FileSystemProvider provider() { return provider; }
    @Override public void close() {}
    @Override public boolean isOpen() { return true; }
    @Override public boolean isReadOnly() { return false; }
    @Override public String getSeparator() { return real.getSeparator(); }
    @Override public Iterable<Path> getRootDirectories() {
        var out = new ArrayList<Path>();
        real.getRootDirectories().forEach(p -> out.add(wrap(p)));
        return out;
    }
    @Override public Iterable<FileStore> getFileStores() { return real.getFileStores(); }
    @Override public Set<String> supportedFileAttributeViews() { return real.supportedFileAttributeViews(); }
    @Override public Path getPath(String first, String... more) { return wrap(real.getPath(first, more)); }
    @Override public PathMatcher getPathMatcher(String syntaxAndPattern) {
        var m = real.getPathMatcher(syntaxAndPattern);
        return p -> m.matches(unwrap(p));
    }
    @Override public UserPrincipalLookupService getUserPrincipalLookupService() { return real.getUserPrincipalLookupService(); }
    @Override public WatchService newWatchService() { throw new UnsupportedOperationException(); }

    // ---- Path ----------------------------------------------------------------------------------

    private final class RPath implements Path {
        final Path real;

        RPath(Path real) { this.real = real; }

        private Path w(Path p) { return p == null ? null : new RPath(p); }

        @Override public FileSystem getFileSystem() { return RecordingFileSystem.this; }
        @Override public boolean isAbsolute() { return real.isAbsolute(); }
        @Override public Path getRoot() { return w(real.getRoot()); }
        @Override public Path getFileName() { return w(real.getFileName()); }
        @Override public Path getParent() { return w(real.getParent()); }
        @Override public int getNameCount() { return real.getNameCount(); }
        @Override public Path getName(int index) { return w(real.getName(index)); }
        @Override public Path subpath(int beginIndex, int endIndex) { return w(real.subpath(beginIndex, endIndex)); }
        @Override public boolean startsWith(Path other) { return other instanceof RPath o && real.startsWith(o.real); }
        @Override public boolean endsWith(Path other) { return other instanceof RPath o && real.endsWith(o.real); }
        @Override public Path normalize() { return w(real.normalize()); }
        @Override public Path resolve(Path other) { return w(real.resolve(unwrap(other))); }
        @Override public Path relativize(Path other) { return w(real.relativize(unwrap(other))); }
        @Override public URI toUri() { return real.toUri(); }
        @Override public Path toAbsolutePath() { return w(real.toAbsolutePath()); }
        @Override public Path toRealPath(LinkOption... options) throws IOException { return w(real.toRealPath(options)); }
        @Override public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
            throw new UnsupportedOperationException();
        }
        @Override public Iterator<Path> iterator() {
            var out = new ArrayList<Path>();
            real.iterator().forEachRemaining(p -> out.add(w(p)));
            return out.iterator();
        }
        @Override public int compareTo(Path other) { return real.compareTo(unwrap(other)); }
        @Override public boolean equals(Object o) { return o instanceof RPath r && real.equals(r.real); }
        @Override public int hashCode() { return real.hashCode(); }
        @Override public String toString() { return real.toString(); }
    }

    // ---- provider ------------------------------------------------------------------------------

    private final class Provider extends FileSystemProvider {
        private FileSystemProvider d() { return real.provider(); }

        @Override public String getScheme() { return "recording"; }
        @Override public FileSystem newFileSystem(URI uri, Map<String, ?> env) { throw new UnsupportedOperationException(); }
        @Override public FileSystem getFileSystem(URI uri) { return RecordingFileSystem.this; }
        @Override public Path getPath(URI uri) { return wrap(d().getPath(uri)); }

        @Override public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
                throws IOException {
            return newFileChannel(path, options, attrs);
        }

        @Override public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
                throws IOException {
            return new RecordingChannel(path, d().newFileChannel(unwrap(path), options, attrs));
        }

        @Override public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
            var realStream = d().newDirectoryStream(unwrap(dir), p -> filter.accept(wrap(p)));
            return new DirectoryStream<>() {
                @Override public Iterator<Path> iterator() {
                    var it = realStream.iterator();
                    return new Iterator<>() {
                        @Override public boolean hasNext() { return it.hasNext(); }
                        @Override public Path next() { return wrap(it.next()); }
                    };
                }
                @Override public void close() throws IOException { realStream.close(); }
            };
        }

        @Override public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException { d().createDirectory(unwrap(dir), attrs); }
        @Override public void delete(Path path) throws IOException { d().delete(unwrap(path)); }
        @Override public void copy(Path source, Path target, CopyOption... options) throws IOException {
            d().copy(unwrap(source), unwrap(target), options);
        }
        @Override public void move(Path source, Path target, CopyOption... options) throws IOException {
            d().move(unwrap(source), unwrap(target), options);
            record("move", source, "-> " + target.getFileName());
        }
        @Override public boolean isSameFile(Path path, Path path2) throws IOException { return d().isSameFile(unwrap(path), unwrap(path2)); }
        @Override public boolean isHidden(Path path) throws IOException { return d().isHidden(unwrap(path)); }
        @Override public FileStore getFileStore(Path path) throws IOException { return d().getFileStore(unwrap(path)); }
        @Override public void checkAccess(Path path, AccessMode... modes) throws IOException { d().checkAccess(unwrap(path), modes); }
        @Override public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
            return d().getFileAttributeView(unwrap(path), type, options);
        }
        @Override public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) throws IOException {
            return d().readAttributes(unwrap(path), type, options);
        }
        @Override public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
            return d().readAttributes(unwrap(path), attributes, options);
        }
        @Override public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
            d().setAttribute(unwrap(path), attribute, value, options);
        }
    }

    /** A FileChannel that records writes and force before passing them on. */
    private final class RecordingChannel extends FileChannel {
        private final Path path;
        private final FileChannel ch;

        RecordingChannel(Path path, FileChannel ch) {
            this.path = path;
            this.ch = ch;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return ch.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return ch.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException {
            int n = ch.write(src);
            record("write", path, Integer.toString(n));
            return n;
        }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = ch.write(srcs, offset, length);
            record("write", path, Long.toString(n));
            return n;
        }
        @Override public long position() throws IOException { return ch.position(); }
        @Override public FileChannel position(long newPosition) throws IOException { ch.position(newPosition); return this; }
        @Override public long size() throws IOException { return ch.size(); }
        @Override public FileChannel truncate(long size) throws IOException { ch.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException {
            ch.force(metaData);
            record("force", path, metaData ? "with metadata" : "data only");
        }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return ch.transferTo(position, count, target);
        }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            long n = ch.transferFrom(src, position, count);
            record("write", path, Long.toString(n));
            return n;
        }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return ch.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException {
            int n = ch.write(src, position);
            record("write", path, Integer.toString(n));
            return n;
        }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return ch.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return ch.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return ch.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { ch.close(); }
    }
}
