package io.genten.cli;

import io.genten.backend.Backend;
import io.genten.io.PngGrid;
import io.genten.models.Checkpoint;
import io.genten.models.ConditionalDcgan;
import io.genten.models.Dcgan;
import io.genten.models.GenerativeModel;
import io.genten.models.PairGan;
import io.genten.tensor.Tensor;
import io.genten.tensor.TensorScope;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code genten sample}: draws images from a trained checkpoint into a PNG grid. */
@Command(name = "sample", mixinStandardHelpOptions = true, description = "Draw samples from a checkpoint (VAE or GAN) into a PNG grid.")
final class SampleCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "a .safetensors file written by genten train")
    Path checkpoint;

    @Option(names = "--n", defaultValue = "64", description = "number of images (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--columns", defaultValue = "8", description = "grid columns (default: ${DEFAULT-VALUE})")
    int columns;

    @Option(names = "--seed", defaultValue = "1", description = "noise seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", defaultValue = "samples.png", description = "PNG file to write (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--digit", description = "cgan only: draw this digit (0-9); without it row r of the grid is digit r mod 10")
    Integer digit;

    @Mixin DeviceOptions deviceOptions = new DeviceOptions();

    static final int MAX_N = 100_000;

    /** Whether writing {@code out} would replace {@code input} (same path, or another name of the same file). */
    static boolean writesOver(Path out, Path input) throws java.io.IOException {
        if (out.toAbsolutePath().normalize().equals(input.toAbsolutePath().normalize())) return true;
        return java.nio.file.Files.exists(out) && java.nio.file.Files.exists(input) && java.nio.file.Files.isSameFile(out, input);
    }

    @Override public Integer call() throws Exception {
        if (n < 1 || columns < 1) throw new UsageException("--n " + n + " and --columns " + columns + " must be positive");
        if (n > MAX_N) throw new UsageException("--n " + n + " is more than " + MAX_N + " images in one grid");
        if (writesOver(out, checkpoint)) throw new UsageException("--out " + out + " is the checkpoint itself; writing the PNG there would destroy it");
        try (Backend backend = Backends.open(deviceOptions, System.out); var scope = TensorScope.open()) {
            var loaded = Checkpoint.load(checkpoint, backend);
            var model = loaded.model();
            float lo = model instanceof Dcgan ? -1f : model instanceof PairGan p ? p.low() : 0f;
            PngGrid.write(out, draw(model), columns, lo, 1f);
            System.out.println("wrote " + n + " " + model.kind() + " samples to " + out);
        }
        return 0;
    }

    /** The conditional GAN draws --digit, or one digit per grid row; the others ignore labels. */
    private Tensor draw(GenerativeModel model) {
        if (digit != null && (digit < 0 || digit > 9)) throw new UsageException("--digit " + digit + " must be in 0..9");
        if (!(model instanceof ConditionalDcgan c)) {
            if (digit != null) throw new UsageException("--digit needs a cgan checkpoint; " + checkpoint + " holds a " + model.kind());
            return model.sample(n, seed);
        }
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = digit != null ? digit : (i / columns) % 10;
        return c.sample(labels, seed);
    }
}
