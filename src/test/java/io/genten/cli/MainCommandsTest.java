package io.genten.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run builds only the command it names; help, a typo or an option first still see every command. */
class MainCommandsTest {
    private static final List<String> ALL = List.of("train", "sample", "info", "bench", "evaluate");

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var originalOut = System.out;
        var originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    @Test void helpListsEveryCommand() {
        for (var args : List.of(new String[] {"--help"}, new String[] {})) {
            var r = run(args);
            assertEquals(0, r.code(), r.err());
            for (String c : ALL) assertTrue(r.out().contains("  " + c), c + " in the usage of " + List.of(args) + ":\n" + r.out());
        }
    }

    @Test void aNamedCommandRunsWithItsOwnHelp() {
        var r = run("info", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("genten info"), r.out());
        assertTrue(!r.out().contains("genten train"), "only the info command's usage: " + r.out());
    }

    @Test void aMistypedCommandIsAUsageErrorThatSuggestsTheRightOne() {
        var r = run("trian", "vae");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("train"), r.err());
    }
}
