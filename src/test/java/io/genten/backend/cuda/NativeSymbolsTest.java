package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The binding table against the header (always) and against the built library's exported symbols
 * (when it was built: target/classes/native/linux-x86_64/libgenten_cuda.so or -Dgenten.cuda.library).
 */
class NativeSymbolsTest {
    private static final Pattern DECL = Pattern.compile("GENTEN_API\\s+([^;(]*?)\\b(genten_\\w+)\\s*\\(([^)]*)\\)\\s*;", Pattern.DOTALL);

    /** name -> [return type, parameter types...] of every GENTEN_API function in the header. */
    static Map<String, List<String>> header() throws IOException {
        var path = Path.of(System.getProperty("genten.header", "native/include/genten.h"));
        Assumptions.assumeTrue(Files.isRegularFile(path), "header " + path.toAbsolutePath() + " not found (run from the project root)");
        String text = Files.readString(path).replaceAll("/\\*.*?\\*/", " ");
        var out = new LinkedHashMap<String, List<String>>();
        var m = DECL.matcher(text);
        while (m.find()) {
            var sig = new ArrayList<String>();
            sig.add(m.group(1).trim());
            String params = m.group(3).replaceAll("\\s+", " ").trim();
            if (!params.isEmpty() && !params.equals("void")) {
                for (String p : params.split(",")) sig.add(p.trim().replaceAll("\\s*\\w+$", "").trim());
            }
            if (out.put(m.group(2), sig) != null) throw new AssertionError("declared twice: " + m.group(2));
        }
        return out;
    }

    private static MemoryLayout layoutOf(String cType) {
        if (cType.contains("*")) return ADDRESS;
        return switch (cType.replace("const ", "").trim()) {
            case "int" -> JAVA_INT;
            case "int64_t", "uint64_t", "size_t" -> JAVA_LONG;
            case "float" -> JAVA_FLOAT;
            default -> throw new AssertionError("unmapped C type '" + cType + "'");
        };
    }

    @Test void everyHeaderFunctionIsBoundAndNothingElse() throws IOException {
        var header = header();
        assertTrue(header.size() > 40, "parsed only " + header.size() + " declarations");
        assertEquals(new HashSet<>(Native.SYMBOLS).size(), Native.SYMBOLS.size(), "a symbol is bound twice");
        var missing = new TreeSet<>(header.keySet());
        missing.removeAll(Native.SYMBOLS);
        var extra = new TreeSet<>(Native.SYMBOLS);
        extra.removeAll(header.keySet());
        assertTrue(missing.isEmpty(), "declared in genten.h but not bound in Native: " + missing);
        assertTrue(extra.isEmpty(), "bound in Native but not declared in genten.h: " + extra);
    }

    @Test void everyDescriptorMatchesTheCSignature() throws IOException {
        var header = header();
        for (var f : Native.FUNCTIONS) {
            var sig = header.get(f.name());
            if (sig == null) continue; // reported by the test above
            var d = f.descriptor();
            assertEquals(layoutOf(sig.get(0)), d.returnLayout().orElseThrow(), f.name() + ": return type " + sig.get(0));
            var params = sig.subList(1, sig.size());
            assertEquals(params.size(), d.argumentLayouts().size(), f.name() + ": parameter count of " + params);
            for (int i = 0; i < params.size(); i++) {
                assertEquals(layoutOf(params.get(i)), d.argumentLayouts().get(i), f.name() + ": parameter " + i + " '" + params.get(i) + "'");
            }
        }
    }

    @Test void adamSlotLayoutMatchesTheStruct() {
        assertEquals(40, CudaAdam.SLOT.byteSize(), "genten_adam_slot: four pointers and an int64_t");
    }

    @Test void builtLibraryExportsEveryBoundSymbol() throws Exception {
        String explicit = System.getProperty("genten.cuda.library");
        var lib = explicit != null ? Path.of(explicit) : Path.of("target/classes/native/linux-x86_64/libgenten_cuda.so");
        Assumptions.assumeTrue(Files.isRegularFile(lib),
                "libgenten_cuda.so not built at " + lib.toAbsolutePath() + " (needs nvcc at build time); skipping the symbol check");
        var exported = exportedSymbols(lib);
        var missing = new TreeSet<>(Native.SYMBOLS);
        missing.removeAll(exported);
        assertTrue(missing.isEmpty(), lib + " does not export " + missing);
    }

    /** The emulator build exports exactly the C ABI: every bound symbol and nothing else. */
    @Test void emulatorLibraryExportsExactlyTheHeader() throws Exception {
        var lib = Path.of("target/classes/native/linux-x86_64/libgenten_cuda_emu.so");
        Assumptions.assumeTrue(Files.isRegularFile(lib),
                "libgenten_cuda_emu.so not built at " + lib.toAbsolutePath() + " (needs cmake and a C++ compiler); skipping");
        assertEquals(new TreeSet<>(Native.SYMBOLS), new TreeSet<>(exportedSymbols(lib)), lib + " exports");
    }

    private static Set<String> exportedSymbols(Path lib) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("nm", "-D", "--defined-only", lib.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("nm (binutils) is not installed: " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "nm did not finish");
        assertEquals(0, p.exitValue(), "nm failed: " + out);
        var names = new HashSet<String>();
        for (String line : out.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 3 && (parts[1].equals("T") || parts[1].equals("W"))) names.add(parts[2]);
        }
        return names;
    }
}
