package io.genten.models;

import io.genten.io.CheckpointException;
import io.genten.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a run needs beyond the weights to continue exactly where it stopped: Adam's moments (named
 * {@code <param>.exp_avg} / {@code .exp_avg_sq}), the step count, the epochs done and the noise
 * offset. A file of its own beside the checkpoint, so the checkpoint stays a plain PyTorch
 * state_dict; written atomically like it.
 */
public final class TrainingState {
    private static final String MODEL = "model", STEPS = "steps", EPOCHS = "epochs", NOISE = "noise_offset";

    private TrainingState() {}

    /** The state file that goes with a checkpoint: {@code vae.safetensors -> vae.optimizer.safetensors}. */
    public static Path besides(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return checkpoint.resolveSibling(stem + ".optimizer.safetensors");
    }

    public static void save(Path file, VaeTrainer trainer, int epochsDone) throws IOException {
        SafeTensors.write(file, trainer.optimizerState(), Map.of(MODEL, "vae", STEPS, Long.toString(trainer.stepCount()),
                EPOCHS, Integer.toString(epochsDone), NOISE, Long.toString(trainer.model().noiseOffset())));
    }

    public static void save(Path file, GanTrainer trainer, int epochsDone) throws IOException {
        SafeTensors.write(file, trainer.optimizerState(), Map.of(MODEL, "dcgan", STEPS, Long.toString(trainer.stepCount()),
                EPOCHS, Integer.toString(epochsDone)));
    }

    /** Restores the trainer (its model's weights come from the checkpoint); returns the epochs already done. */
    public static int restore(Path file, VaeTrainer trainer) throws IOException {
        try (var saved = SafeTensors.read(file)) {
            var meta = saved.metadata();
            expectModel(file, meta, "vae");
            long steps = number(file, meta, STEPS);
            restoreOrExplain(file, () -> trainer.restore(saved.tensors(), steps, number(file, meta, NOISE)));
            return Math.toIntExact(number(file, meta, EPOCHS));
        }
    }

    public static int restore(Path file, GanTrainer trainer) throws IOException {
        try (var saved = SafeTensors.read(file)) {
            var meta = saved.metadata();
            expectModel(file, meta, "dcgan");
            long steps = number(file, meta, STEPS);
            restoreOrExplain(file, () -> trainer.restore(saved.tensors(), steps));
            return Math.toIntExact(number(file, meta, EPOCHS));
        }
    }

    private interface Restore { void run() throws IOException; }

    private static void restoreOrExplain(Path file, Restore r) throws IOException {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": does not fit this model: " + e.getMessage());
        }
    }

    private static void expectModel(Path file, Map<String, String> meta, String kind) throws CheckpointException {
        if (!kind.equals(meta.get(MODEL))) {
            throw new CheckpointException(file + ": training state of model '" + meta.get(MODEL) + "', not '" + kind + "'");
        }
    }

    private static long number(Path file, Map<String, String> meta, String key) throws CheckpointException {
        try {
            long v = Long.parseLong(meta.getOrDefault(key, ""));
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new CheckpointException(file + ": metadata '" + key + "' is '" + meta.get(key) + "', not a count");
        }
    }
}
