package io.genten.testing;

import io.genten.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * PyTorch's golden values. The small op files are test resources ({@code /golden/NAME.safetensors});
 * the large model files are read from {@code ../shared/testdata/golden/} (system property
 * {@code genten.golden.dir}) and the test is skipped with a message where that folder is absent.
 */
public final class Golden {
    private Golden() {}

    /** An op file shipped in the test resources. */
    public static SafeTensors.Contents op(String name) {
        try (var in = Golden.class.getResourceAsStream("/golden/" + name + ".safetensors")) {
            if (in == null) throw new IllegalStateException("missing test resource /golden/" + name + ".safetensors");
            var tmp = Files.createTempFile("golden-" + name, ".safetensors");
            try {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return SafeTensors.read(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A large model file from the shared golden folder; skips the test where it is absent. */
    public static SafeTensors.Contents model(String name) {
        var dir = Path.of(System.getProperty("genten.golden.dir", "../shared/testdata/golden"));
        var file = dir.resolve(name + ".safetensors");
        Assumptions.assumeTrue(Files.isRegularFile(file),
                "golden model file " + file.toAbsolutePath() + " is absent (it lives in the project's shared/testdata); skipping");
        try {
            return SafeTensors.read(file);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
