package io.genten;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.genten.data.Datasets;
import io.genten.data.Scaling;
import io.genten.models.Checkpoint;
import io.genten.models.ConvVae;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README's "Embedding Genten" example: runs here, and README shows exactly these lines. */
class EmbeddingExampleTest {
    @TempDir Path dir;

    @Test void embeddingExampleRunsAndMatchesTheReadme() throws Exception {
        var file = dir.resolve("vae.safetensors");
        try (var trained = new ConvVae(io.genten.backend.cpu.CpuBackend.get(), 5)) {
            Checkpoint.save(file, trained, Map.of());
        }
        int n = 16;
        float[] pixels = Arrays.copyOf(Datasets.embedded(Scaling.UNIT).images(), n * 784);
        float[] out;
        float[] again;
        // ---- README embedding example begins
        var backend = DeviceSelection.open(DeviceSelection.Preference.AUTO).backend(); // the GPU if usable, else the CPU (logged, with the reason)
        try (var vae = (ConvVae) Checkpoint.load(file, backend).model();  // e.g. out/vae/vae.safetensors from `genten train vae`
             var host = Tensor.wrap(pixels, Shape.of(n, 1, 28, 28));      // n digits, values in [0, 1]
             var x = backend.copyOf(host);                               // onto the backend's device
             var code = vae.encode(x);                                   // code.mu(), code.logvar(): (n, 32)
             var images = vae.decode(code.mu());                         // (n, 1, 28, 28), in [0, 1]
             var same = vae.reconstruct(x)) {                            // both steps in one call: no noise, same bits
            out = images.toArray();
            again = same.toArray();
        }
        // ---- README embedding example ends
        assertEquals(n * 784, out.length);
        assertArrayEquals(out, again);

        var source = Files.readAllLines(Path.of("src/test/java/io/genten/EmbeddingExampleTest.java"));
        var example = source.subList(indexOf(source, "README embedding example begins") + 1, indexOf(source, "README embedding example ends"));
        var readme = Files.readString(Path.of("README.md"));
        for (var line : example) {
            assertTrue(readme.contains(line.strip()), "README.md lacks the example line: " + line.strip());
        }
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(marker)) return i;
        throw new AssertionError("marker not found: " + marker);
    }
}
