package io.genten.data;

import java.io.IOException;

/** A data file that cannot be read: wrong format, truncated, or inconsistent with its partner file. */
public class DataFormatException extends IOException {
    public DataFormatException(String message) { super(message); }
}
