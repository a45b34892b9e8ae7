package io.genten.models;

import io.genten.backend.Backend;
import io.genten.io.CheckpointException;
import io.genten.io.Printable;
import io.genten.io.SafeTensors;
import io.genten.nn.Module;
import io.genten.nn.Stateful;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checkpoints as safetensors with PyTorch state-dict names (those of the golden files), written
 * atomically, for any {@link Module} or model. Metadata: "model" (the model's kind, "dcgan" or
 * "vae", or the class name of any other module), "genten.version" and whatever the caller adds
 * (step, epoch). A GAN checkpoint holds both networks, the generator's names prefixed
 * "generator." and the discriminator's "discriminator."; the VAE's names are unprefixed.
 * Optimizer moments and counters live in the training state ({@link TrainingState}), so that this
 * one stays a plain state_dict that PyTorch's load_state_dict takes.
 */
public final class Checkpoint {
    /** The metadata key naming the model's kind (or a module's class). */
    public static final String MODEL_KEY = "model";
    /** The metadata key holding the Genten version that wrote the file. */
    public static final String VERSION_KEY = "genten.version";

    private Checkpoint() {}

    /**
     * A loaded model and the checkpoint's metadata.
     *
     * @param model    the model the file names, built on the given backend and holding the file's weights
     * @param metadata every metadata entry of the file
     */
    public record Loaded(GenerativeModel model, Map<String, String> metadata) {}

    /**
     * The version in the jar's manifest.
     *
     * @return the Genten version, or "dev" when running from classes without a manifest
     */
    public static String version() {
        var v = Checkpoint.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Writes {@code model}'s state dict (parameters and buffers) atomically: a temporary file,
     * fsync, rename.
     *
     * @param file     the safetensors file to write (replaced if present)
     * @param model    any {@link Module}, or a model such as {@link Dcgan}
     * @param metadata extra string metadata to store (may be null); "model" and "genten.version" are set here
     * @throws IOException when the file cannot be written
     */
    public static void save(Path file, Stateful model, Map<String, String> metadata) throws IOException {
        var meta = new LinkedHashMap<String, String>();
        if (metadata != null) meta.putAll(metadata);
        meta.put(MODEL_KEY, kindOf(model));
        meta.put(VERSION_KEY, version());
        SafeTensors.write(file, model.stateDict(), meta);
    }

    private static String kindOf(Stateful model) {
        return model instanceof GenerativeModel g ? g.kind() : model.getClass().getName();
    }

    /**
     * Builds the model the file names and loads it (build outside any step scope). Unknown kinds,
     * missing or extra names and wrong shapes (checked before any tensor data is read), and
     * non-finite values or negative running variances throw {@link CheckpointException}.
     *
     * @param file    a checkpoint of one of {@link Models#KINDS}
     * @param backend where to build the model
     * @return the model and the file's metadata
     * @throws IOException when the file cannot be read or does not hold a known model
     */
    public static Loaded load(Path file, Backend backend) throws IOException {
        var header = SafeTensors.readHeader(file);
        var kind = header.metadata().get(MODEL_KEY);
        if (kind == null) throw new CheckpointException(file + ": no \"model\" in the metadata; not a Genten checkpoint");
        if (!Models.KINDS.contains(kind)) throw new CheckpointException(file + ": unknown model kind \"" + Printable.of(kind) + "\" (expected one of " + Models.KINDS + ")");
        var model = Models.create(kind, backend, 0);
        try {
            copyIn(header, model);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        return new Loaded(model, header.metadata());
    }

    /**
     * Loads the file into an existing model or module, with the checks of {@link #load}. For a
     * {@link GenerativeModel} the file's kind must be the model's; for any module the names and
     * shapes must match its state dict exactly (else nothing is changed).
     *
     * @param file  a checkpoint written by {@link #save} (or a safetensors state_dict from PyTorch)
     * @param model the model or module to load into
     * @return the file's metadata
     * @throws IOException when the file cannot be read or does not match the model
     */
    public static Map<String, String> loadInto(Path file, Stateful model) throws IOException {
        var header = SafeTensors.readHeader(file);
        var kind = header.metadata().get(MODEL_KEY);
        if (model instanceof GenerativeModel g && !g.kind().equals(kind)) {
            throw new CheckpointException(file + ": holds a \"" + Printable.of(kind) + "\" model but a \"" + g.kind() + "\" was given");
        }
        copyIn(header, model);
        return header.metadata();
    }

    private static void copyIn(SafeTensors.Header header, Stateful model) throws IOException {
        var file = header.file();
        var what = model instanceof GenerativeModel g ? g.kind() : model.getClass().getSimpleName();
        if (TrainingState.FORMAT.equals(header.metadata().get(TrainingState.FORMAT_KEY))) {
            throw new CheckpointException(file + ": is a training state (weights with Adam's moments, for --resume); the checkpoint to load is "
                    + what + ".safetensors beside it");
        }
        String hint = model instanceof Dcgan ? " (a dcgan checkpoint's names start with generator./discriminator.)" : "";
        StateChecks.checkNames(file, what + " model", StateChecks.shapes(model.stateDict()), header.shapes(), hint);
        try (var contents = SafeTensors.read(header)) {
            StateChecks.checkValues(file, contents.tensors());
            model.loadStateDict(contents.tensors());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": does not match the " + what + " model: " + e.getMessage());
        }
    }
}
