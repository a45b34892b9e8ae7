package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.tensor.Shape;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edges the third mutation round left: whitespace before a header's object, a unicode escape at
 * the very end of the text, the largest rank and dimension a shape may declare, the reason an
 * atomic write gives for a failure without a message, and the log's accessors and close.
 */
class IoEdgesTest {
    @TempDir Path dir;

    private Path file(String name, String header, byte[] data) throws IOException {
        return SafeTensorsEdgeTest.rawFile(dir, name, header, data);
    }

    private static String tensor(String shape, long end) {
        return "{\"t\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0," + end + "]}}";
    }

    @Test void whitespaceMayPrecedeTheTopLevelObject() {
        assertEquals(Map.of("a", 1L), Json.parseObject(" \n\t\r{\"a\":1}"));
        assertEquals(Map.of("a", 1L), Json.parseObject("{\"a\":1} \n"));
    }

    @Test void aUnicodeEscapeEndingTheTextIsReadThenTheStringIsUnterminated() {
        // four hex digits exactly at the end: the escape is complete, the string is what is cut short
        var e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject("{\"a\":\"\\u0041"));
        assertTrue(e.getMessage().startsWith("unexpected end"), e.getMessage());
        // three digits: the escape itself is cut short
        e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject("{\"a\":\"\\u004"));
        assertTrue(e.getMessage().startsWith("bad unicode escape"), e.getMessage());
        assertEquals(Map.of("a", "A"), Json.parseObject("{\"a\":\"\\u0041\"}"));
    }

    @Test void rankEightIsTheMostAShapeMayDeclare() throws IOException {
        try (var c = SafeTensors.read(file("rank8", tensor("[1,1,1,1,1,1,1,2]", 8), new byte[8]))) {
            assertEquals(Shape.of(1, 1, 1, 1, 1, 1, 1, 2), c.get("t").shape());
        }
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file("rank9", tensor("[1,1,1,1,1,1,1,1,2]", 8), new byte[8])));
        assertTrue(e.getMessage().contains("rank 9 (at most 8)"), e.getMessage());
    }

    @Test void theLargestDimensionPassesTheShapeChecksAndFailsOnTheData() throws IOException {
        long max = Integer.MAX_VALUE;
        // 2^31 - 1 elements is one array's limit: the shape is legal, the byte range then does not match the file
        var e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file("max", tensor("[" + max + "]", 4 * max), new byte[8])));
        assertTrue(e.getMessage().contains("has byte range [0, " + 4 * max + ")"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file("over", tensor("[" + (max + 1) + "]", 8), new byte[8])));
        assertTrue(e.getMessage().contains("has dimension " + (max + 1)), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> SafeTensors.read(file("product", tensor("[65536,32768]", 8), new byte[8])));
        assertTrue(e.getMessage().contains("too large for one array"), e.getMessage());
    }

    @Test void aWriteFailureWithoutAMessageIsNamedByItsType() throws IOException {
        var target = dir.resolve("out.bin");
        var e = assertThrows(FileSystemException.class, () -> AtomicFiles.write(target, tmp -> {
            throw new IOException();
        }));
        assertEquals(target.toString(), e.getFile());
        assertEquals("IOException", e.getReason());
        e = assertThrows(FileSystemException.class, () -> AtomicFiles.write(target, tmp -> {
            throw new IOException("No space left on device");
        }));
        assertEquals("No space left on device", e.getReason());
        assertTrue(Files.notExists(target), "nothing written");
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "no temporary file left");
        }
    }

    @Test void theLogKnowsItsFileAndColumnsAndRefusesRowsAfterClose() throws IOException {
        var path = dir.resolve("losses.csv");
        var log = CsvLog.open(path, "d", "g");
        assertEquals(path, log.file());
        assertEquals(List.of("d", "g"), log.lossNames());
        log.row(1, 0, 12.5, 0.5, 0.25);
        log.close();
        log.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> log.row(2, 0, 1, 0.1, 0.2));
        assertEquals(List.of("step,epoch,d,g,images_per_s", "1,0,0.5,0.25,12.5"), Files.readAllLines(path));
    }
}
