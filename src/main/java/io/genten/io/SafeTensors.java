package io.genten.io;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    private SafeTensors() {}

    /** The tensors of a file (host tensors, in file order) and its {@code __metadata__}. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) implements AutoCloseable {
        public Tensor get(String name) {
            var t = tensors.get(name);
            if (t == null) throw new IllegalArgumentException("no tensor named '" + name + "' (have " + tensors.keySet() + ")");
            return t;
        }

        @Override public void close() { tensors.values().forEach(Tensor::close); }
    }

    public static Contents read(Path file) throws IOException {
        long size = Files.size(file);
        if (size < 8) throw new CheckpointException(file + ": not a safetensors file (only " + size + " bytes)");
        try (var ch = FileChannel.open(file, StandardOpenOption.READ)) {
            var lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, file);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new CheckpointException(file + ": corrupt safetensors header length " + headerLen + " for a file of " + size + " bytes");
            }
            var headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, file);
            String json = new String(headerBuf.array(), java.nio.charset.StandardCharsets.UTF_8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(json);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file + ": corrupt safetensors header: " + e.getMessage());
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            var tensors = new LinkedHashMap<String, Tensor>();
            var metadata = new LinkedHashMap<String, String>();
            try {
                for (var e : header.entrySet()) {
                    if (e.getKey().equals("__metadata__")) {
                        if (e.getValue() instanceof Map<?, ?> m) m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                        continue;
                    }
                    if (!(e.getValue() instanceof Map<?, ?> info)) throw new CheckpointException(file + ": entry '" + e.getKey() + "' is not an object");
                    Object dtype = info.get("dtype");
                    if (!"F32".equals(dtype)) throw new CheckpointException(file + ": tensor '" + e.getKey() + "' has dtype " + dtype + "; Genten reads F32 only");
                    if (!(info.get("shape") instanceof List<?> dimsList) || !(info.get("data_offsets") instanceof List<?> offs) || offs.size() != 2) {
                        throw new CheckpointException(file + ": tensor '" + e.getKey() + "' lacks shape or data_offsets");
                    }
                    var shape = shapeOf(file, e.getKey(), dimsList);
                    long begin = integer(file, e.getKey(), "data_offsets", offs.get(0)), end = integer(file, e.getKey(), "data_offsets", offs.get(1));
                    if (begin < 0 || end < begin || end > dataLen || end - begin != shape.numel() * 4) {
                        throw new CheckpointException(file + ": tensor '" + e.getKey() + "' of shape " + shape + " has byte range [" + begin + ", " + end
                                + ") but the data section holds " + dataLen + " bytes (truncated or corrupt file)");
                    }
                    var buf = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                    ch.position(dataStart + begin);
                    readFully(ch, buf, file);
                    buf.flip();
                    var values = new float[shape.size()];
                    buf.asFloatBuffer().get(values);
                    tensors.put(e.getKey(), Tensor.wrap(values, shape));
                }
            } catch (RuntimeException | IOException ex) {
                tensors.values().forEach(Tensor::close);
                throw ex;
            }
            return new Contents(tensors, metadata);
        }
    }

    /** Writes the tensors (from any device) atomically, names sorted as the format recommends. */
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
        var dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        var tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (var ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                var lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length + pad).flip();
                writeFully(ch, lenBuf);
                var hb = ByteBuffer.allocate(headerBytes.length + pad);
                hb.put(headerBytes);
                while (hb.hasRemaining()) hb.put((byte) ' ');
                writeFully(ch, hb.flip());
                for (var t : sorted.values()) {
                    float[] values = t.toArray();
                    var buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    buf.asFloatBuffer().put(values);
                    writeFully(ch, buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Dimensions must be non-negative integers whose product fits one Java array of floats. */
    private static Shape shapeOf(Path file, String name, List<?> dims) throws CheckpointException {
        var d = new int[dims.size()];
        long numel = 1;
        for (int k = 0; k < d.length; k++) {
            long v = integer(file, name, "shape", dims.get(k));
            if (v < 0 || v > Integer.MAX_VALUE) throw new CheckpointException(file + ": tensor '" + name + "' has dimension " + v + " in shape " + dims);
            d[k] = (int) v;
            numel *= v;
            if (numel > Integer.MAX_VALUE) throw new CheckpointException(file + ": tensor '" + name + "' of shape " + dims + " is too large for one array");
        }
        return Shape.of(d);
    }

    private static long integer(Path file, String name, String field, Object v) throws CheckpointException {
        if (v instanceof Long l) return l;
        throw new CheckpointException(file + ": tensor '" + name + "' has a non-integer " + field + " entry " + v);
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
