package io.genten.models;

import io.genten.io.CheckpointException;
import io.genten.io.Printable;
import io.genten.io.SafeTensors;
import io.genten.tensor.Shape;
import io.genten.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a run needs to continue exactly where it stopped, committed as ONE file: the
 * model's weights and buffers ({@code model.<state_dict name>}), Adam's moments
 * ({@code optimizer.<param>.exp_avg} / {@code .exp_avg_sq}), and in the metadata the step count,
 * the epochs done, the noise offset, the run's id and the settings it was started with. One file
 * written by one atomic rename is the unit of commit: a kill, Ctrl-C or full disk at any moment
 * leaves either the previous state or the new one, never weights of one epoch with moments of
 * another.
 *
 * <p>The PyTorch-loadable {@code <model>.safetensors} beside it ({@link Checkpoint}) is an export
 * written after this commit; resuming reads only this file. A commit refuses to write non-finite
 * values ({@link DivergedException}), so the last good state stays.
 */
public final class TrainingState {
    /** The value of the "format" metadata that marks a training-state file. */
    public static final String FORMAT = "genten.training_state.v1";
    static final String MODEL_PREFIX = "model.", OPTIMIZER_PREFIX = "optimizer.";
    static final String FORMAT_KEY = "format", MODEL = "model", STEPS = "steps", EPOCHS = "epochs", NOISE = "noise_offset", RUN_ID = "run_id",
            SETTING_PREFIX = "setting.";

    private TrainingState() {}

    /**
     * What a state file says about its run: model kind, counters, run id and the settings it was started with.
     *
     * @param kind       "vae" or "dcgan"
     * @param steps      steps taken
     * @param epochsDone epochs completed
     * @param runId      the run's id
     * @param settings   the settings the run was started with
     */
    public record Saved(String kind, long steps, int epochsDone, String runId, Map<String, String> settings) {}

    /**
     * The training state that goes with a checkpoint: {@code vae.safetensors -> vae.train.safetensors}.
     *
     * @param checkpoint the model checkpoint's path
     * @return the training state's path beside it
     */
    public static Path besides(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return checkpoint.resolveSibling(stem + ".train.safetensors");
    }

    /**
     * Commits the VAE's run atomically: weights, Adam's moments, counters, noise offset and settings in one file.
     *
     * @param file       the state file
     * @param trainer    the trainer
     * @param epochsDone epochs completed
     * @param runId      the run's id
     * @param settings   the settings the run was started with
     * @throws IOException when the file cannot be written
     * @throws DivergedException when a value to write is not finite
     */
    public static void commit(Path file, VaeTrainer trainer, int epochsDone, String runId, Map<String, String> settings) throws IOException {
        var meta = metadata("vae", trainer.stepCount(), epochsDone, runId, settings);
        meta.put(NOISE, Long.toString(trainer.model().noiseOffset()));
        write(file, trainer.model(), trainer.optimizerState(), trainer.stepCount(), meta);
    }

    /**
     * Commits the DCGAN's run atomically: weights, both Adams' moments, counters and settings in one file.
     *
     * @param file       the state file
     * @param trainer    the trainer
     * @param epochsDone epochs completed
     * @param runId      the run's id
     * @param settings   the settings the run was started with
     * @throws IOException when the file cannot be written
     * @throws DivergedException when a value to write is not finite
     */
    public static void commit(Path file, GanTrainer trainer, int epochsDone, String runId, Map<String, String> settings) throws IOException {
        write(file, trainer.model(), trainer.optimizerState(), trainer.stepCount(), metadata("dcgan", trainer.stepCount(), epochsDone, runId, settings));
    }

    /**
     * Reads only the header: the run's counters and settings, to compare before restoring.
     *
     * @param file the state file
     * @return what it says about its run
     * @throws IOException when the file cannot be read or is not a training state
     */
    public static Saved peek(Path file) throws IOException {
        return saved(file, SafeTensors.readHeader(file).metadata());
    }

    /**
     * Restores the model's weights, Adam's moments, the step count and the noise offset.
     *
     * @param file    the state file
     * @param trainer the trainer (and through it the model)
     * @return what the file says about its run
     * @throws IOException when the file cannot be read or does not fit the trainer
     */
    public static Saved restore(Path file, VaeTrainer trainer) throws IOException {
        var header = SafeTensors.readHeader(file);
        var saved = expect(file, header, "vae");
        long noise = number(file, header.metadata(), NOISE);
        read(file, header, trainer.model(), trainer.optimizerState(), (model, optimizer) -> {
            trainer.model().loadStateDict(model);
            trainer.restore(optimizer, saved.steps(), noise);
        });
        return saved;
    }

    /**
     * Restores both networks' weights, both Adams' moments and the step count.
     *
     * @param file    the state file
     * @param trainer the trainer (and through it the model)
     * @return what the file says about its run
     * @throws IOException when the file cannot be read or does not fit the trainer
     */
    public static Saved restore(Path file, GanTrainer trainer) throws IOException {
        var header = SafeTensors.readHeader(file);
        var saved = expect(file, header, "dcgan");
        read(file, header, trainer.model(), trainer.optimizerState(), (model, optimizer) -> {
            trainer.model().loadStateDict(model);
            trainer.restore(optimizer, saved.steps());
        });
        return saved;
    }

    /**
     * Commits the run of an extra model's trainer (MLP GANs, conditional DCGAN, 2-D VAE) atomically:
     * weights, moments, counters, the noise offset and settings in one file.
     *
     * @param file       the state file
     * @param trainer    the trainer
     * @param epochsDone epochs completed
     * @param runId      the run's id
     * @param settings   the settings the run was started with
     * @throws IOException when the file cannot be written
     * @throws DivergedException when a value to write is not finite
     */
    public static void commit(Path file, Resumable trainer, int epochsDone, String runId, Map<String, String> settings) throws IOException {
        var meta = metadata(trainer.kind(), trainer.stepCount(), epochsDone, runId, settings);
        meta.put(NOISE, Long.toString(trainer.noiseOffset()));
        write(file, trainer.model(), trainer.optimizerState(), trainer.stepCount(), meta);
    }

    /**
     * Restores an extra model's weights, its trainer's moments, the step count and the noise offset.
     *
     * @param file    the state file
     * @param trainer the trainer (and through it the model)
     * @return what the file says about its run
     * @throws IOException when the file cannot be read or does not fit the trainer
     */
    public static Saved restore(Path file, Resumable trainer) throws IOException {
        var header = SafeTensors.readHeader(file);
        var saved = expect(file, header, trainer.kind());
        long noise = number(file, header.metadata(), NOISE);
        read(file, header, trainer.model(), trainer.optimizerState(), (model, optimizer) -> {
            trainer.model().loadStateDict(model);
            trainer.restore(optimizer, saved.steps(), noise);
        });
        return saved;
    }

    private static LinkedHashMap<String, String> metadata(String kind, long steps, int epochsDone, String runId, Map<String, String> settings) {
        var meta = new LinkedHashMap<String, String>();
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(MODEL, kind);
        meta.put(STEPS, Long.toString(steps));
        meta.put(EPOCHS, Integer.toString(epochsDone));
        meta.put(RUN_ID, runId);
        meta.put(Checkpoint.VERSION_KEY, Checkpoint.version());
        settings.forEach((k, v) -> meta.put(SETTING_PREFIX + k, v));
        return meta;
    }

    private static void write(Path file, GenerativeModel model, Map<String, Tensor> optimizer, long steps, Map<String, String> meta) throws IOException {
        var all = new LinkedHashMap<String, Tensor>();
        model.stateDict().forEach((k, v) -> all.put(MODEL_PREFIX + k, v));
        optimizer.forEach((k, v) -> all.put(OPTIMIZER_PREFIX + k, v));
        String bad = Finite.firstNonFinite(all);
        if (bad != null) throw new DivergedException(steps, bad + "; not saved, the last good training state in " + file + " stays");
        SafeTensors.write(file, all, meta);
    }

    private interface Apply { void apply(Map<String, Tensor> model, Map<String, Tensor> optimizer); }

    /** Names and shapes from the header first, then the data, its values checked, then both parts applied. */
    private static void read(Path file, SafeTensors.Header header, GenerativeModel model, Map<String, Tensor> optimizer, Apply apply) throws IOException {
        var expected = new LinkedHashMap<String, Shape>();
        model.stateDict().forEach((k, v) -> expected.put(MODEL_PREFIX + k, v.shape()));
        optimizer.forEach((k, v) -> expected.put(OPTIMIZER_PREFIX + k, v.shape()));
        StateChecks.checkNames(file, model.kind() + " training state", expected, header.shapes(), "");
        try (var contents = SafeTensors.read(header)) {
            StateChecks.checkValues(file, contents.tensors());
            var m = new LinkedHashMap<String, Tensor>();
            var o = new LinkedHashMap<String, Tensor>();
            contents.tensors().forEach((k, v) -> {
                if (k.startsWith(MODEL_PREFIX)) m.put(k.substring(MODEL_PREFIX.length()), v);
                else o.put(k.substring(OPTIMIZER_PREFIX.length()), v);
            });
            apply.apply(m, o);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": does not fit this model: " + e.getMessage());
        }
    }

    private static Saved expect(Path file, SafeTensors.Header header, String kind) throws CheckpointException {
        var saved = saved(file, header.metadata());
        if (!kind.equals(saved.kind())) {
            throw new CheckpointException(file + ": training state of model '" + Printable.of(saved.kind()) + "', not '" + kind + "'");
        }
        return saved;
    }

    private static Saved saved(Path file, Map<String, String> meta) throws CheckpointException {
        if (!FORMAT.equals(meta.get(FORMAT_KEY))) {
            throw new CheckpointException(file + ": not a Genten training state (format '" + Printable.of(meta.get(FORMAT_KEY)) + "', expected '" + FORMAT + "')");
        }
        var settings = new LinkedHashMap<String, String>();
        meta.forEach((k, v) -> {
            if (k.startsWith(SETTING_PREFIX)) settings.put(k.substring(SETTING_PREFIX.length()), v);
        });
        long epochs = number(file, meta, EPOCHS);
        if (epochs > Integer.MAX_VALUE) throw new CheckpointException(file + ": metadata 'epochs' is " + epochs + ", too large");
        return new Saved(meta.get(MODEL), number(file, meta, STEPS), (int) epochs, meta.getOrDefault(RUN_ID, ""), Map.copyOf(settings));
    }

    private static long number(Path file, Map<String, String> meta, String key) throws CheckpointException {
        try {
            long v = Long.parseLong(meta.getOrDefault(key, ""));
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new CheckpointException(file + ": metadata '" + key + "' is '" + Printable.of(meta.get(key)) + "', not a count");
        }
    }
}
