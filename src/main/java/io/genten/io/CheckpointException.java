package io.genten.io;

import java.io.IOException;

/** A checkpoint that cannot be read: corrupt, truncated, or not matching the model. */
public class CheckpointException extends IOException {
    public CheckpointException(String message) { super(message); }
}
