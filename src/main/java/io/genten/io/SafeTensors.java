package io.genten.io;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (Hugging Face): 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then raw little-endian data. Only F32 is
 * read and written. Writes are atomic: a temp file in the same folder, forced to disk, then renamed.
 */
public final class SafeTensors {
    private static final long MAX_HEADER = 100L << 20;
    private static final int MAX_RANK = 8;

    private SafeTensors() {}

    /**
     * The tensors of a file (host tensors, in file order) and its {@code __metadata__}. Closing it closes the tensors.
     *
     * @param tensors  the tensors by name
     * @param metadata the string metadata
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) implements AutoCloseable {
        /**
         * One tensor by name.
         *
         * @param name the tensor's name
         * @return the tensor
         * @throws IllegalArgumentException naming the tensors present when there is none of that name
         */
        public Tensor get(String name) {
            var t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no tensor named '" + name + "' (have " + tensors.keySet() + ")");
            return t;
        }

        @Override public void close() { tensors.values().forEach(Tensor::close); }
    }

    /**
     * One tensor's entry in the header: its name, shape and byte range within the data section.
     *
     * @param name  the tensor's name
     * @param shape its shape
     * @param begin the first byte, relative to the data section
     * @param end   one past the last byte
     */
    public record Entry(String name, Shape shape, long begin, long end) {}

    /**
     * A file's validated header: entries in file order and the metadata. Every name, shape and
     * byte range has been checked against the file's real length (64-bit arithmetic, ranges
     * inside the data section, none overlapping), so a caller can check names and shapes against
     * a model before any tensor data is read.
     *
     * @param file      the file
     * @param dataStart where the data section starts
     * @param fileSize  the file's length when the header was read
     * @param entries   the tensors, in file order
     * @param metadata  the string metadata
     */
    public record Header(Path file, long dataStart, long fileSize, List<Entry> entries, Map<String, String> metadata) {
        /**
         * The shapes by name.
         *
         * @return a new ordered map
         */
        public Map<String, Shape> shapes() {
            var out = new LinkedHashMap<String, Shape>();
            entries.forEach(e -> out.put(e.name(), e.shape()));
            return out;
        }
    }

    /**
     * Reads and validates the header only.
     *
     * @param file the safetensors file
     * @return the header
     * @throws IOException when the file is unreadable or malformed ({@link CheckpointException})
     */
    public static Header readHeader(Path file) throws IOException {
        try (var ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        }
    }

    /**
     * Reads a whole file into host tensors.
     *
     * @param file the safetensors file
     * @return its tensors and metadata
     * @throws IOException when the file is unreadable, truncated or malformed ({@link CheckpointException})
     */
    public static Contents read(Path file) throws IOException {
        try (var ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readData(readHeader(file, ch), ch);
        }
    }

    /**
     * Reads the tensors of a header from {@link #readHeader} (the file must not have changed since).
     *
     * @param header the header
     * @return the tensors and metadata
     * @throws IOException when the file is unreadable or changed since
     */
    public static Contents read(Header header) throws IOException {
        try (var ch = FileChannel.open(header.file(), StandardOpenOption.READ)) {
            if (ch.size() != header.fileSize()) throw new CheckpointException(header.file() + ": changed while being read");
            return readData(header, ch);
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) throw new CheckpointException(file + ": not a safetensors file (only " + size + " bytes)");
        var lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, file);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
            throw new CheckpointException(file + ": corrupt safetensors header length " + headerLen + " for a file of " + size + " bytes");
        }
        var headerBuf = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBuf, file);
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBuf.flip()).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file + ": corrupt safetensors header: not UTF-8");
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": corrupt safetensors header: " + e.getMessage());
        }
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;
        var entries = new ArrayList<Entry>();
        var metadata = new LinkedHashMap<String, String>();
        for (var e : header.entrySet()) {
            String name = Printable.of(e.getKey());
            if (e.getKey().equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new CheckpointException(file + ": __metadata__ is not an object");
                for (var kv : m.entrySet()) {
                    if (!(kv.getValue() instanceof String v)) {
                        throw new CheckpointException(file + ": metadata '" + Printable.of(kv.getKey()) + "' is not a string");
                    }
                    metadata.put((String) kv.getKey(), v);
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new CheckpointException(file + ": entry '" + name + "' is not an object");
            Object dtype = info.get("dtype");
            if (!"F32".equals(dtype)) throw new CheckpointException(file + ": tensor '" + name + "' has dtype " + Printable.of(dtype) + "; Genten reads F32 only");
            if (!(info.get("shape") instanceof List<?> dimsList) || !(info.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
                throw new CheckpointException(file + ": tensor '" + name + "' lacks shape or data_offsets");
            }
            var shape = shapeOf(file, name, dimsList);
            long begin = integer(file, name, "data_offsets", offs.get(0)), end = integer(file, name, "data_offsets", offs.get(1));
            long bytes = shape.numel() * Float.BYTES; // numel < 2^31 (shapeOf), so no overflow
            if (begin < 0 || end < begin || end > dataLen || end - begin != bytes) {
                throw new CheckpointException(file + ": tensor '" + name + "' of shape " + shape + " has byte range [" + begin + ", " + end
                        + ") but the data section holds " + dataLen + " bytes (truncated or corrupt file)");
            }
            entries.add(new Entry(e.getKey(), shape, begin, end));
        }
        checkNoOverlap(file, entries);
        return new Header(file, dataStart, size, List.copyOf(entries), Map.copyOf(metadata));
    }

    /** Two tensors sharing bytes would be one tensor read twice: a crafted or corrupt file. */
    private static void checkNoOverlap(Path file, List<Entry> entries) throws CheckpointException {
        var byStart = new ArrayList<>(entries);
        byStart.removeIf(e -> e.begin() == e.end());
        byStart.sort(java.util.Comparator.comparingLong(Entry::begin));
        for (int k = 1; k < byStart.size(); k++) {
            var a = byStart.get(k - 1);
            var b = byStart.get(k);
            if (b.begin() < a.end()) {
                throw new CheckpointException(file + ": tensors '" + Printable.of(a.name()) + "' [" + a.begin() + ", " + a.end() + ") and '"
                        + Printable.of(b.name()) + "' [" + b.begin() + ", " + b.end() + ") overlap (corrupt file)");
            }
        }
    }

    private static Contents readData(Header header, FileChannel ch) throws IOException {
        long total = 0;
        for (var e : header.entries()) total += e.end() - e.begin();
        var rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (total > available) {
            throw new CheckpointException(header.file() + ": its tensors need " + total + " bytes but the Java heap has about " + available
                    + " free (raise it with -Xmx)");
        }
        var tensors = new LinkedHashMap<String, Tensor>();
        try {
            var chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (var e : header.entries()) {
                var values = new float[e.shape().size()];
                long pos = header.dataStart() + e.begin();
                int done = 0;
                while (done < values.length) {
                    int n = Math.min(values.length - done, chunk.capacity() / Float.BYTES);
                    chunk.clear().limit(n * Float.BYTES);
                    ch.position(pos);
                    readFully(ch, chunk, header.file());
                    chunk.flip().asFloatBuffer().get(values, done, n);
                    done += n;
                    pos += (long) n * Float.BYTES;
                }
                tensors.put(e.name(), Tensor.wrap(values, e.shape()));
            }
        } catch (RuntimeException | IOException ex) {
            tensors.values().forEach(Tensor::close);
            throw ex;
        }
        return new Contents(tensors, header.metadata());
    }

    /**
     * Writes the tensors (from any device) atomically, names sorted as the format recommends.
     *
     * @param file     the file to write (replaced if present)
     * @param tensors  the tensors by name
     * @param metadata string metadata, or null
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        var sorted = new TreeMap<>(tensors);
        var header = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            header.append("\"__metadata__\":{");
            var parts = new ArrayList<String>();
            new TreeMap<>(metadata).forEach((k, v) -> parts.add(Json.quote(k) + ":" + Json.quote(v)));
            header.append(String.join(",", parts)).append("},");
        }
        long offset = 0;
        var entries = new ArrayList<String>();
        for (var e : sorted.entrySet()) {
            var t = e.getValue();
            long bytes = t.numel() * 4;
            var dims = new ArrayList<String>();
            for (int d : t.shape().dims()) dims.add(Integer.toString(d));
            entries.add(Json.quote(e.getKey()) + ":{\"dtype\":\"F32\",\"shape\":[" + String.join(",", dims) + "],\"data_offsets\":[" + offset + "," + (offset + bytes) + "]}");
            offset += bytes;
        }
        header.append(String.join(",", entries)).append("}");
        byte[] headerBytes = header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int pad = (8 - headerBytes.length % 8) % 8; // align the data section
        AtomicFiles.write(file, tmp -> {
            try (var ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                var lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length + pad).flip();
                writeFully(ch, lenBuf);
                var hb = ByteBuffer.allocate(headerBytes.length + pad);
                hb.put(headerBytes);
                while (hb.hasRemaining()) hb.put((byte) ' ');
                writeFully(ch, hb.flip());
                var chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (var t : sorted.values()) {
                    float[] values = t.toArray();
                    for (int done = 0; done < values.length; ) {
                        int n = Math.min(values.length - done, chunk.capacity() / Float.BYTES);
                        chunk.clear();
                        chunk.asFloatBuffer().put(values, done, n);
                        chunk.limit(n * Float.BYTES);
                        writeFully(ch, chunk);
                        done += n;
                    }
                }
                ch.force(true); // on disk before the rename makes it visible
            }
        });
    }

    private static Shape shapeOf(Path file, String name, List<?> dims) throws CheckpointException {
        if (dims.size() > MAX_RANK) throw new CheckpointException(file + ": tensor '" + name + "' has rank " + dims.size() + " (at most " + MAX_RANK + ")");
        var d = new int[dims.size()];
        long numel = 1;
        for (int k = 0; k < d.length; k++) {
            long v = integer(file, name, "shape", dims.get(k));
            if (v < 0 || v > Integer.MAX_VALUE) throw new CheckpointException(file + ": tensor '" + name + "' has dimension " + v + " in shape " + Printable.of(dims));
            d[k] = (int) v;
        }
        for (int v : d) {
            numel *= v; // each factor < 2^31 and the product checked at every step: no long overflow
            if (numel > Integer.MAX_VALUE) throw new CheckpointException(file + ": tensor '" + name + "' of shape " + Printable.of(dims) + " is too large for one array");
        }
        return Shape.of(d);
    }

    private static long integer(Path file, String name, String field, Object v) throws CheckpointException {
        if (v instanceof Long l) return l;
        throw new CheckpointException(file + ": tensor '" + name + "' has a non-integer " + field + " entry " + Printable.of(v));
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, Path file) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) throw new CheckpointException(file + ": truncated safetensors file");
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }
}
