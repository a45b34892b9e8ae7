package io.genten.io;

import java.io.IOException;

/** A checkpoint that cannot be read: corrupt, truncated, or not matching the model. */
public class CheckpointException extends IOException {
    /**
     * An exception with a message naming the file and what is wrong.
     *
     * @param message the message
     */
    public CheckpointException(String message) { super(message); }
}
