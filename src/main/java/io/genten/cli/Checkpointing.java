package io.genten.cli;

import io.genten.models.Checkpoint;

/** Small helpers around checkpoints for the commands. */
final class Checkpointing {
    private Checkpointing() {}

    static String version() { return Checkpoint.version(); }
}
