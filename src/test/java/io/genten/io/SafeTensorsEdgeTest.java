package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits of the reader: files with no data section, zero-size tensors, and no tensor leaked by a failed read. */
class SafeTensorsEdgeTest {
    @TempDir Path dir;

    /** A safetensors file laid out by hand: the 8-byte header length, the header, then {@code data}. */
    static Path rawFile(Path dir, String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        var out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    private Path file(String name, String header, byte[] data) throws IOException {
        return rawFile(dir, name, header, data);
    }

    /** The header may end the file: a file of metadata only, or of zero-size tensors, has no data section. */
    @Test void aHeaderThatEndsTheFileIsValid() throws IOException {
        try (var c = SafeTensors.read(file("empty", "{}      ", new byte[0]))) {
            assertTrue(c.tensors().isEmpty());
            assertTrue(c.metadata().isEmpty());
        }
        try (var c = SafeTensors.read(file("meta", "{\"__metadata__\":{\"model\":\"vae\"}}", new byte[0]))) {
            assertEquals(Map.of("model", "vae"), c.metadata());
        }
        try (var c = SafeTensors.read(file("zero", "{\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}}", new byte[0]))) {
            assertEquals(Shape.of(0, 3), c.get("z").shape());
        }
    }

    @Test void eightBytesAreAHeaderLengthWithoutAHeader() throws IOException {
        var f = Files.write(dir.resolve("eight"), new byte[8]);
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("header length 0"), e.getMessage());
        var seven = Files.write(dir.resolve("seven"), new byte[7]);
        e = assertThrows(CheckpointException.class, () -> SafeTensors.read(seven));
        assertTrue(e.getMessage().contains("7 bytes"), e.getMessage());
    }

    /** A read that fails on its second tensor closes the first: no host tensor is leaked. */
    @Test void aFailedReadClosesWhatItAlreadyRead() throws IOException {
        var f = file("second-bad", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}", new byte[12]);
        long live = Tensor.liveCount();
        assertThrows(CheckpointException.class, () -> SafeTensors.read(f));
        assertEquals(live, Tensor.liveCount(), "tensors left open by a failed read");
    }

    @Test void closingTheContentsClosesItsTensors() throws IOException {
        var f = file("two", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]);
        var c = SafeTensors.read(f);
        var a = c.get("a");
        var b = c.get("b");
        c.close();
        assertTrue(a.isClosed() && b.isClosed());
        var e = assertThrows(IllegalArgumentException.class, () -> c.get("missing"));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("[a, b]"), e.getMessage());
    }
}
