package io.genten.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvLogTest {
    @TempDir Path dir;

    @Test void writesHeaderOnceAndFlushesEachRow() throws IOException {
        var file = dir.resolve("logs/train.csv");
        try (var log = CsvLog.open(file, "loss_d", "loss_g")) {
            assertEquals(List.of("step,epoch,loss_d,loss_g,images_per_s"), Files.readAllLines(file));
            log.row(1, 0, 1234.56, 0.6931472f, 1.25);
            // flushed: visible before close
            assertEquals("1,0,0.6931472,1.25,1234.6", Files.readAllLines(file).get(1));
            log.row(2, 1, 99.0, Double.NaN, 3e-7);
        }
        assertEquals(List.of("step,epoch,loss_d,loss_g,images_per_s", "1,0,0.6931472,1.25,1234.6", "2,1,NaN,3.0E-7,99.0"),
                Files.readAllLines(file));
        // a resumed run appends under the same header
        try (var log = CsvLog.open(file, List.of("loss_d", "loss_g"))) {
            log.row(3, 1, 10, 0.5, 0.25);
        }
        var lines = Files.readAllLines(file);
        assertEquals(4, lines.size());
        assertEquals("3,1,0.5,0.25,10.0", lines.get(3));
        assertEquals(1, lines.stream().filter(l -> l.startsWith("step")).count());
    }

    @Test void vaeColumnsAndNoLosses() throws IOException {
        var file = dir.resolve("vae.csv");
        try (var log = CsvLog.open(file, "loss", "recon", "kl")) {
            log.row(10, 2, 5000, 120.5, 100.25, 20.25);
        }
        assertEquals(List.of("step,epoch,loss,recon,kl,images_per_s", "10,2,120.5,100.25,20.25,5000.0"), Files.readAllLines(file));
        var bare = dir.resolve("bare.csv");
        try (var log = CsvLog.open(bare)) {
            log.row(0, 0, 1);
        }
        assertEquals(List.of("step,epoch,images_per_s", "0,0,1.0"), Files.readAllLines(bare));
    }

    @Test void mismatchesAreRejected() throws IOException {
        var file = dir.resolve("a.csv");
        try (var log = CsvLog.open(file, "loss")) {
            assertThrows(IllegalArgumentException.class, () -> log.row(1, 0, 1, 0.1, 0.2));
            log.close();
            assertThrows(IllegalStateException.class, () -> log.row(1, 0, 1, 0.1));
        }
        var e = assertThrows(IOException.class, () -> CsvLog.open(file, "loss_d", "loss_g"));
        assertTrue(e.getMessage().contains("step,epoch,loss,images_per_s"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CsvLog.open(dir.resolve("b.csv"), "a,b"));
        assertThrows(IllegalArgumentException.class, () -> CsvLog.open(dir.resolve("b.csv"), "step"));
        assertThrows(IllegalArgumentException.class, () -> CsvLog.open(dir.resolve("b.csv"), "x", "x"));
    }
}
