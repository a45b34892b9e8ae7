package io.genten.cli;

import io.genten.io.Printable;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns any failure into one line with a reason: a path with the OS's reason, an op with its
 * shapes (the library's own messages), or what to do about running out of memory. Java's file
 * exceptions often carry only the path as their message ("genten: /tmp/x"), so each kind is
 * named here; control characters from file names or contents are escaped so the line stays one.
 */
final class Failures {
    private Failures() {}

    static int exitCode(Throwable t) {
        return t instanceof UsageException ? 2 : 1;
    }

    static String describe(Throwable t) {
        if (t instanceof java.io.UncheckedIOException u && u.getCause() != null) t = u.getCause();
        return Printable.line(reason(t));
    }

    private static String reason(Throwable t) {
        return switch (t) {
            case OutOfMemoryError e -> "out of memory (" + e.getMessage() + ", Java heap limit " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): try a smaller --batch N, or a larger heap with GENTEN_JAVA_OPTS=-Xmx8g";
            case io.genten.backend.cuda.CudaOutOfMemoryException e when !e.getMessage().contains("--batch") ->
                    e.getMessage() + "; try a smaller --batch N";
            case StackOverflowError e -> "stack overflow (input nested too deeply?) in " + top(e);
            case NoSuchFileException e -> path(e) + ": no such file or directory" + extra(e);
            case AccessDeniedException e -> path(e) + ": permission denied" + extra(e);
            case FileAlreadyExistsException e -> path(e) + ": already exists" + extra(e);
            case DirectoryNotEmptyException e -> path(e) + ": directory not empty" + extra(e);
            case NotDirectoryException e -> path(e) + ": not a directory" + extra(e);
            case FileSystemException e -> path(e) + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
            default -> {
                String m = t.getMessage();
                if (m == null || m.isBlank()) {
                    yield t.getClass().getSimpleName() + " in " + top(t) + (t.getCause() != null ? ": " + reason(t.getCause()) : "");
                }
                yield m;
            }
        };
    }

    private static String path(FileSystemException e) {
        return e.getOtherFile() == null ? String.valueOf(e.getFile()) : e.getFile() + " -> " + e.getOtherFile();
    }

    private static String extra(FileSystemException e) {
        return e.getReason() == null ? "" : " (" + e.getReason() + ")";
    }

    private static String top(Throwable t) {
        var st = t.getStackTrace();
        return st.length == 0 ? "unknown code" : st[0].getClassName() + "." + st[0].getMethodName();
    }
}
