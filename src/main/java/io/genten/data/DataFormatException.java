package io.genten.data;

import java.io.IOException;

/** A data file that cannot be read: wrong format, truncated, or inconsistent with its partner file. */
public class DataFormatException extends IOException {
    /**
     * An exception with a message naming the file and what is wrong.
     *
     * @param message the message
     */
    public DataFormatException(String message) { super(message); }
}
