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

    @Test void deviceOutOfMemoryOutsideAStepSuggestsASmallerBatchOnce() {
        var plain = new io.genten.backend.cuda.CudaOutOfMemoryException("linearForward: out of device memory for a result of shape [64, 784]", 2, 200704);
        assertEquals("linearForward: out of device memory for a result of shape [64, 784]; try a smaller --batch N", Failures.describe(plain));
        var named = new io.genten.backend.cuda.CudaOutOfMemoryException("out of device memory at step 5 with --batch 1024; rerun with --batch 512", 2, 1);
        assertEquals(named.getMessage(), Failures.describe(named), "a message that already names the batch is kept");
        assertEquals(1, Failures.exitCode(plain));
    }
}
