package io.genten.cli;

/** A command line that cannot be carried out as given (a bad value, a conflicting option): exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) { super(message); }
}
