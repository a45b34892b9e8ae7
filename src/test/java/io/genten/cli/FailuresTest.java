package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class FailuresTest {
    @Test void everyKindOfFailureIsOneLineWithAReason() {
        assertTrue(Failures.describe(new OutOfMemoryError("Java heap space")).startsWith("out of memory (Java heap space"));
        assertTrue(Failures.describe(new OutOfMemoryError("Java heap space")).contains("--batch"));
        assertTrue(Failures.describe(new OutOfMemoryError()).contains("-Xmx"));
        assertTrue(Failures.describe(new StackOverflowError()).startsWith("stack overflow"));
        assertEquals("/tmp/x: no such file or directory", Failures.describe(new NoSuchFileException("/tmp/x")));
        assertEquals("/tmp/x: permission denied", Failures.describe(new AccessDeniedException("/tmp/x")));
        assertEquals("/tmp/x: No space left on device", Failures.describe(new FileSystemException("/tmp/x", null, "No space left on device")));
        assertEquals("/tmp/y: no such file or directory", Failures.describe(new UncheckedIOException(new NoSuchFileException("/tmp/y"))));
        assertTrue(Failures.describe(new NullPointerException()).startsWith("NullPointerException in "), Failures.describe(new NullPointerException()));
        assertEquals("bad\\nname\\u001b[0m", Failures.describe(new IOException("bad\nname\u001b[0m")));
        assertEquals(2, Failures.exitCode(new UsageException("x")));
        assertEquals(1, Failures.exitCode(new IOException("x")));
        assertEquals(1, Failures.exitCode(new OutOfMemoryError()));
    }
}
