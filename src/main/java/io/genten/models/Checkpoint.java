package io.genten.models;

import io.genten.backend.Backend;
import io.genten.io.CheckpointException;
import io.genten.io.Printable;
import io.genten.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Model checkpoints as safetensors with PyTorch state-dict names (those of the golden files),
 * written atomically. Metadata: "model" ("dcgan" or "vae"), "genten.version" and whatever the
 * caller adds (step, epoch). A GAN checkpoint holds both networks, the generator's names
 * prefixed "generator." and the discriminator's "discriminator."; the VAE's names are unprefixed.
 * Optimizer moments and counters live in the training state ({@link TrainingState}), so that this one
 * stays a plain state_dict that PyTorch's load_state_dict takes.
 */
public final class Checkpoint {
    public static final String MODEL_KEY = "model";
    public static final String VERSION_KEY = "genten.version";

    private Checkpoint() {}

    /** A loaded model and the checkpoint's metadata. */
    public record Loaded(GenerativeModel model, Map<String, String> metadata) {}

    public static String version() {
        var v = Checkpoint.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static void save(Path file, GenerativeModel model, Map<String, String> metadata) throws IOException {
        var meta = new LinkedHashMap<String, String>();
        if (metadata != null) meta.putAll(metadata);
        meta.put(MODEL_KEY, model.kind());
        meta.put(VERSION_KEY, version());
        SafeTensors.write(file, model.stateDict(), meta);
    }

    /**
     * Builds the model the file names and loads it (build outside any step scope). Unknown kinds,
     * missing or extra names and wrong shapes (checked before any tensor data is read), and
     * non-finite values or negative running variances throw {@link CheckpointException}.
     */
    public static Loaded load(Path file, Backend backend) throws IOException {
        var header = SafeTensors.readHeader(file);
        var kind = header.metadata().get(MODEL_KEY);
        if (kind == null) throw new CheckpointException(file + ": no \"model\" in the metadata; not a Genten checkpoint");
        if (!Models.KINDS.contains(kind)) throw new CheckpointException(file + ": unknown model kind \"" + Printable.of(kind) + "\" (expected one of " + Models.KINDS + ")");
        var model = Models.create(kind, backend, 0);
        copyIn(header, model);
        return new Loaded(model, header.metadata());
    }

    /** Loads the file into an existing model of the same kind; returns the metadata. Checks as {@link #load}. */
    public static Map<String, String> loadInto(Path file, GenerativeModel model) throws IOException {
        var header = SafeTensors.readHeader(file);
        var kind = header.metadata().get(MODEL_KEY);
        if (!model.kind().equals(kind)) {
            throw new CheckpointException(file + ": holds a \"" + Printable.of(kind) + "\" model but a \"" + model.kind() + "\" was given");
        }
        copyIn(header, model);
        return header.metadata();
    }

    private static void copyIn(SafeTensors.Header header, GenerativeModel model) throws IOException {
        var file = header.file();
        if (TrainingState.FORMAT.equals(header.metadata().get(TrainingState.FORMAT_KEY))) {
            throw new CheckpointException(file + ": is a training state (weights with Adam's moments, for --resume); the checkpoint to load is "
                    + model.kind() + ".safetensors beside it");
        }
        String hint = model instanceof Dcgan ? " (a dcgan checkpoint's names start with generator./discriminator.)" : "";
        StateChecks.checkNames(file, model.kind() + " model", StateChecks.shapes(model.stateDict()), header.shapes(), hint);
        try (var contents = SafeTensors.read(header)) {
            StateChecks.checkValues(file, contents.tensors());
            model.loadStateDict(contents.tensors());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": does not match the " + model.kind() + " model: " + e.getMessage());
        }
    }
}
