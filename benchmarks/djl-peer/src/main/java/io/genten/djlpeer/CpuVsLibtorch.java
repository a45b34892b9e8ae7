package io.genten.djlpeer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.genten.backend.cpu.CpuBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Genten's CPU backend against DJL 0.36 on libtorch 2.7.1 (CPU), the same models and steps, the
 * same threads, alternately in one JVM, printed as markdown. Run through
 * {@code benchmarks/cpu-vs-libtorch}, which builds what is missing and passes these options:
 *
 * <pre>
 *   --models vae,dcgan  --batch 64,256  --threads 2  --rounds 3 (0: only the first steps)
 *   --round-seconds 4   (each side's timed round: N steps, N from the warm-up's step time, at least 2)
 *   --warmup-seconds 3  (per side, per case, before the first round; at least 4 steps)
 *   --first-step-runs 3 (fresh JVMs per side and model, without and with an AOT cache; 0 skips)
 * </pre>
 *
 * <p>Per (model, batch, threads): both sides warm up, then rounds alternate Genten, DJL, Genten,
 * DJL, ... of N timed steps each; images/s is the median over rounds (min-max beside it). The
 * transposed-conv layers alone (forward and backward at the model's shapes) are timed the same
 * way on both sides and subtracted from the step's median time: the "without" columns.
 */
public final class CpuVsLibtorch {
    private CpuVsLibtorch() {}

    record Options(List<String> models, int[] batches, int[] threads, int rounds, double roundSeconds, double warmupSeconds, int firstStepRuns) {
        static Options parse(String[] args) {
            List<String> models = List.of("vae", "dcgan");
            int[] batches = {64, 256}, threads = {2};
            int rounds = 3, firstStepRuns = 3;
            double roundSeconds = 4, warmupSeconds = 3;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException("cpu-vs-libtorch: " + a + " needs a value");
                String v = args[++i];
                switch (a) {
                    case "--models" -> models = List.of(v.split(","));
                    case "--batch" -> batches = ints(v);
                    case "--threads" -> threads = ints(v);
                    case "--rounds" -> rounds = Integer.parseInt(v);
                    case "--round-seconds" -> roundSeconds = Double.parseDouble(v);
                    case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(v);
                    case "--first-step-runs" -> firstStepRuns = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("cpu-vs-libtorch: unknown option " + a);
                }
            }
            for (var m : models) if (!m.equals("vae") && !m.equals("dcgan")) throw new IllegalArgumentException("cpu-vs-libtorch: model " + m + " (vae or dcgan)");
            if (rounds < 0 || Arrays.stream(batches).anyMatch(b -> b < 1) || Arrays.stream(threads).anyMatch(t -> t < 1)) {
                throw new IllegalArgumentException("cpu-vs-libtorch: batches and threads must be positive, rounds at least 0");
            }
            return new Options(models, batches, threads, rounds, roundSeconds, warmupSeconds, firstStepRuns);
        }

        private static int[] ints(String v) { return Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray(); }
    }

    /** Milliseconds per step of each round. */
    record Rounds(double[] ms) {
        double median() { return CpuVsLibtorch.median(ms); }

        double min() { return Arrays.stream(ms).min().orElseThrow(); }

        double max() { return Arrays.stream(ms).max().orElseThrow(); }
    }

    record Row(String model, int batch, int threads, Rounds genten, Rounds djl, Rounds gentenTconv, Rounds djlTconv, int gentenSteps, int djlSteps) {}

    /**
     * Runs the comparison and prints the report.
     *
     * @param args see the class comment
     * @throws Exception when a child JVM cannot be run
     */
    public static void main(String[] args) throws Exception {
        var o = Options.parse(args);
        int maxThreads = Arrays.stream(o.threads()).max().orElseThrow();
        String loadStart = loadAverage();
        var started = Instant.now();
        System.out.println("# Genten CPU vs DJL/libtorch, same cores, alternating rounds");
        System.out.println();
        System.out.println("- date: " + started.truncatedTo(ChronoUnit.SECONDS));
        System.out.println("- cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " logical cores visible to the JVM");
        System.out.println("- load average at start: " + loadStart);
        System.out.println("- java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        System.out.println("- genten: " + System.getProperty("genten.commit", "(commit not given)") + "; " + CpuBackend.withThreads(maxThreads).describe());
        var engine = DjlEngine.load(o.threads()[0], maxThreads);
        System.out.println("- DJL " + Engine.getDjlVersion() + ", " + engine.getEngineName() + " " + engine.getVersion()
                + " (CPU, offline from the pytorch-native-cpu jar); libtorch inter-op threads " + DjlEngine.interopThreads()
                + "; OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS") + ", MKL_NUM_THREADS=" + System.getenv("MKL_NUM_THREADS")
                + ", OMP_WAIT_POLICY=" + System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset: libgomp spins a while before sleeping)"));
        String defect = LibtorchCheck.convInputGradientDefect();
        System.out.println("- libtorch self-check (a conv's input gradient against its definition): " + (defect == null ? "right"
                : "WRONG on this CPU: " + defect + "; its steps time the same work but do not train a correct model"));
        System.out.println("- rounds: " + o.rounds() + " per side, each about " + o.roundSeconds() + " s of steps after " + o.warmupSeconds() + " s of warm-up per side; threads " + Arrays.toString(o.threads()));
        System.out.println();

        try (var manager = NDManager.newBaseManager()) {
            System.out.println("## Parameter counts (trainable; batch-norm running statistics excluded on both sides)");
            System.out.println();
            for (var model : o.models()) {
                var backend = CpuBackend.withThreads(1);
                try (var g = GentenSteps.create(model, backend, 1, 1, false); var d = Peers.djl(model, manager, 1, false)) {
                    long n = Peers.checkParameterCounts(model, g, d);   // throws when they differ
                    System.out.printf(Locale.ROOT, "- %s: Genten %,d, DJL %,d: equal%n", model, g.parameterCount(), d.parameterCount());
                    if (n <= 0) throw new IllegalStateException(model + ": no parameters");
                } finally {
                    backend.close();
                }
            }
            System.out.println();

            var rows = new ArrayList<Row>();
            for (var model : o.rounds() == 0 ? List.<String>of() : o.models()) {
                for (int batch : o.batches()) {
                    for (int threads : o.threads()) {
                        var row = measure(o, model, batch, threads, manager);
                        rows.add(row);
                        System.err.printf(Locale.ROOT, "[cpu-vs-libtorch] %s batch %d threads %d: Genten %.0f, libtorch %.0f images/s%n",
                                model, batch, threads, batch * 1000 / row.genten().median(), batch * 1000 / row.djl().median());
                    }
                }
            }
            if (!rows.isEmpty()) printTable(rows);
        }

        if (o.firstStepRuns() > 0) firstSteps(o);
        System.out.println();
        System.out.println("- load average at end: " + loadAverage() + " (" + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ")");
    }

    private static Row measure(Options o, String model, int batch, int threads, NDManager manager) {
        var backend = CpuBackend.withThreads(threads);
        DjlEngine.setThreads(threads);
        try (var g = GentenSteps.create(model, backend, batch, 1, false); var d = Peers.djl(model, manager, batch, false)) {
            double gWarm = warm(g, o.warmupSeconds()), dWarm = warm(d, o.warmupSeconds());
            int gN = steps(o.roundSeconds(), gWarm), dN = steps(o.roundSeconds(), dWarm);
            var rounds = alternate(o.rounds(), g, gN, d, dN);
            Rounds[] tconv;
            try (var gt = TconvLayers.genten(model, backend, batch, 3); var dt = TconvLayers.djl(model, manager, batch)) {
                double gtWarm = warm(gt, o.warmupSeconds() / 2), dtWarm = warm(dt, o.warmupSeconds() / 2);
                tconv = alternate(o.rounds(), gt, steps(o.roundSeconds() / 2, gtWarm), dt, steps(o.roundSeconds() / 2, dtWarm));
            }
            return new Row(model, batch, threads, rounds[0], rounds[1], tconv[0], tconv[1], gN, dN);
        } finally {
            backend.close();
        }
    }

    /** Steps for about {@code seconds} and at least 4 steps; returns the last half's ms per step (the first steps allocate and JIT-compile). */
    private static double warm(TrainStep s, double seconds) {
        var times = new ArrayList<Double>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long t = System.nanoTime();
            s.step();
            times.add((System.nanoTime() - t) / 1e6);
        } while (System.nanoTime() < end || times.size() < 4);
        return times.subList(times.size() / 2, times.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    private static int steps(double seconds, double msPerStep) {
        return Math.max(2, (int) Math.ceil(seconds * 1000 / msPerStep));
    }

    /** Rounds of Genten then DJL, alternately; [0] Genten's, [1] DJL's ms per step per round. */
    private static Rounds[] alternate(int rounds, TrainStep g, int gN, TrainStep d, int dN) {
        double[] gMs = new double[rounds], dMs = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            gMs[r] = timed(g, gN);
            pause();
            dMs[r] = timed(d, dN);
            pause();
        }
        return new Rounds[] {new Rounds(gMs), new Rounds(dMs)};
    }

    private static double timed(TrainStep s, int n) {
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) s.step();
        return (System.nanoTime() - t) / 1e6 / n;
    }

    /** libtorch's OpenMP threads spin a while after their last op: let them sleep before the other side runs. */
    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void printTable(List<Row> rows) {
        System.out.println("## Training step, images/s (median over rounds, min-max in brackets)");
        System.out.println();
        System.out.println("| model | batch | threads | Genten | DJL + libtorch | Genten / libtorch | transposed convs alone, ms: Genten / libtorch | without them: Genten | without them: libtorch | without them: ratio |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (var r : rows) {
            double g = r.batch() * 1000 / r.genten().median(), d = r.batch() * 1000 / r.djl().median();
            double gRest = r.genten().median() - r.gentenTconv().median(), dRest = r.djl().median() - r.djlTconv().median();
            // the layers alone measured slower than the whole step: noise (a loaded machine), no figure
            String without = gRest <= 0 || dRest <= 0 ? "n/a (layers alone timed slower than the step) | n/a | n/a"
                    : String.format(Locale.ROOT, "%,.0f | %,.0f | %.2f", r.batch() * 1000 / gRest, r.batch() * 1000 / dRest, dRest / gRest);
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %,.0f (%,.0f-%,.0f) | %,.0f (%,.0f-%,.0f) | %.2f | %.1f / %.1f | %s |%n",
                    r.model(), r.batch(), r.threads(),
                    g, r.batch() * 1000 / r.genten().max(), r.batch() * 1000 / r.genten().min(),
                    d, r.batch() * 1000 / r.djl().max(), r.batch() * 1000 / r.djl().min(),
                    g / d, r.gentenTconv().median(), r.djlTconv().median(), without);
        }
        System.out.println();
        System.out.println("Steps per round (Genten / DJL): " + String.join(", ", rows.stream()
                .map(r -> r.model() + " " + r.batch() + "x" + r.threads() + ": " + r.gentenSteps() + " / " + r.djlSteps()).toList()) + ".");
        var ratios = new ArrayList<String>();
        for (var model : rows.stream().map(Row::model).distinct().toList()) {
            double macs = TconvLayers.of(model).stream().mapToDouble(s -> s.macRatio() * s.in() * s.out() * s.k() * s.k() * s.h() * s.h()).sum()
                    / TconvLayers.of(model).stream().mapToDouble(s -> (double) s.in() * s.out() * s.k() * s.k() * s.h() * s.h()).sum();
            ratios.add(String.format(Locale.ROOT, "%s %.2f", model, macs));
        }
        System.out.println("\"Without them\": the step's median time less the median time of the model's transposed-conv layers run alone"
                + " (forward, then backward into input, weight and bias, at the step's batch), each side its own layers; this assumes the layers"
                + " cost the same inside the step as alone (caches and thread wake-ups differ somewhat). DJL's transposed convs are the exact phase"
                + " decomposition of TransposedConv2d: multiply-adds over a direct transposed conv's (zero border included): " + String.join(", ", ratios) + ".");
    }

    private static void firstSteps(Options o) throws IOException, InterruptedException {
        int batch = o.batches()[0], threads = Arrays.stream(o.threads()).max().orElseThrow();
        System.out.println();
        System.out.println("## Time to first training step (fresh JVM per run: from the harness starting the process to the end of step 1; batch " + batch + ", " + threads + " threads; median of " + o.firstStepRuns() + " runs, alternating)");
        System.out.println();
        // the third pair: each JVM started as ./genten starts Genten's, with the AOT cache, the throughput
        // collector and, where the kernel offers them on request, transparent huge pages for the heap
        boolean hugePages = transparentHugePagesOffered();
        List<String> launcherOptions = hugePages ? List.of("-XX:+UseParallelGC", "-XX:+UseTransparentHugePages") : List.of("-XX:+UseParallelGC");
        String asLauncher = hugePages ? "AOT cache + Parallel GC + huge pages" : "AOT cache + Parallel GC (no huge pages here)";
        System.out.println("| model | Genten, s | DJL + libtorch, s | Genten, AOT cache, s | DJL + libtorch, AOT cache, s | Genten, "
                + asLauncher + ", s | DJL + libtorch, " + asLauncher + ", s |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        var dir = Files.createTempDirectory("genten-first-step-");
        try {
            for (var model : o.models()) {
                // the JDK's AOT cache (JEP 483/515: classes loaded and linked, method profiles), made by one
                // short training run of the same program per side (RECORDING_STEPS steps), as a deployment
                // would make it once (Genten's first step with the cache, recorded from 1 step -> 10: DCGAN
                // 1.45 -> 1.31 s, VAE 0.84 -> 0.79 s, two runs on the 2-core VM; libtorch 1.46 -> 1.31, 1.16 -> 1.05)
                var caches = new ArrayList<List<String>>();
                for (var side : List.of("genten", "djl")) {
                    var cache = dir.resolve(side + "-" + model + ".aot");
                    firstStep(side, model, batch, threads, List.of("-XX:AOTCacheOutput=" + cache), RECORDING_STEPS);
                    if (!Files.isRegularFile(cache)) throw new IllegalStateException("FirstStep " + side + " " + model + ": the JVM wrote no AOT cache at " + cache);
                    caches.add(List.of("-XX:AOTCache=" + cache));
                }
                double[] g = new double[o.firstStepRuns()], d = new double[o.firstStepRuns()];
                double[] ga = new double[o.firstStepRuns()], da = new double[o.firstStepRuns()];
                double[] gh = new double[o.firstStepRuns()], dh = new double[o.firstStepRuns()];
                for (int r = 0; r < o.firstStepRuns(); r++) {
                    g[r] = firstStep("genten", model, batch, threads, List.of());
                    d[r] = firstStep("djl", model, batch, threads, List.of());
                    ga[r] = firstStep("genten", model, batch, threads, caches.get(0));
                    da[r] = firstStep("djl", model, batch, threads, caches.get(1));
                    gh[r] = firstStep("genten", model, batch, threads, concat(caches.get(0), launcherOptions));
                    dh[r] = firstStep("djl", model, batch, threads, concat(caches.get(1), launcherOptions));
                }
                System.out.printf(Locale.ROOT, "| %s | %.2f (%s) | %.2f (%s) | %.2f (%s) | %.2f (%s) | %.2f (%s) | %.2f (%s) |%n", model,
                        median(g) / 1000, seconds(g), median(d) / 1000, seconds(d), median(ga) / 1000, seconds(ga),
                        median(da) / 1000, seconds(da), median(gh) / 1000, seconds(gh), median(dh) / 1000, seconds(dh));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (var f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
        System.out.println();
        System.out.println("libtorch was already extracted to DJL's cache (this run loaded it first); DJL's first step includes loading it."
                + " The AOT cache columns: each side's JVM started with -XX:AOTCache from one short training run (" + RECORDING_STEPS + " steps) of the same program"
                + " (-XX:AOTCacheOutput), the JDK 25 way to start a known application faster; the cache holds loaded and linked classes and"
                + " method profiles, not compiled code. The last two columns start each side's JVM as ./genten starts Genten's: the AOT cache,"
                + " -XX:+UseParallelGC (the throughput collector) and, where the kernel offers transparent huge pages on request,"
                + " -XX:+UseTransparentHugePages (the Java heap in 2 MB pages; libtorch's own memory is unaffected).");
    }

    /** Whether the kernel gives transparent huge pages to a process that asks ([madvise]) or to all ([always]). */
    private static boolean transparentHugePagesOffered() {
        try {
            return Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).matches("(?s).*\\[(madvise|always)\\].*");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String seconds(double[] ms) {
        return String.join(", ", Arrays.stream(ms).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v / 1000)).toList());
    }

    /** Training steps of the run an AOT cache is recorded from. */
    static final int RECORDING_STEPS = 10;

    private static double firstStep(String side, String model, int batch, int threads, List<String> jvmOptions) throws IOException, InterruptedException {
        return firstStep(side, model, batch, threads, jvmOptions, 1);
    }

    private static double firstStep(String side, String model, int batch, int threads, List<String> jvmOptions, int steps)
            throws IOException, InterruptedException {
        var cmd = new ArrayList<String>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FirstStep.class.getName(), side, model, Integer.toString(batch), Integer.toString(threads),
                Integer.toString(steps)));
        // the clock starts here, before the fork: System.nanoTime is the machine's monotonic clock
        // (CLOCK_MONOTONIC on Linux), the same in both processes; the OS's record of the child's start
        // time is derived from the boot time and was off by ~0.9 s on a VM whose wall clock had moved
        long start = System.nanoTime();
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        if (rc != 0 || out.contains("[error][aot]")) throw new IllegalStateException("FirstStep " + side + " " + model + " " + jvmOptions + " exited " + rc + ":\n" + out);
        return out.lines().filter(l -> l.startsWith(FirstStep.END_LINE)).findFirst()
                .map(l -> (Long.parseLong(l.substring(FirstStep.END_LINE.length()).trim()) - start) / 1e6)
                .orElseThrow(() -> new IllegalStateException("FirstStep " + side + " " + model + " exited " + rc + " without a time:\n" + out));
    }

    static double median(double[] v) {
        var s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String loadAverage() {
        var f = read(Path.of("/proc/loadavg"), () -> "unknown").trim().split(" ");
        return f.length >= 3 ? String.join(" ", Arrays.copyOf(f, 3)) : "unknown";
    }

    /** The model name, family/model numbers (a VM may hide the name) and the vector extensions that decide the kernels. */
    private static String cpuModel() {
        var info = read(Path.of("/proc/cpuinfo"), () -> "");
        var name = field(info, "model name").orElse("unknown CPU");
        var family = field(info, "cpu family").orElse("?");
        var model = field(info, "model").orElse("?");
        var flags = List.of(field(info, "flags").orElse("").split(" "));
        var simd = List.of("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile").stream().filter(flags::contains).toList();
        return name + " (family " + family + " model " + model + "; " + (simd.isEmpty() ? "no AVX2" : String.join(" ", simd)) + ")";
    }

    private static java.util.Optional<String> field(String cpuinfo, String key) {
        return cpuinfo.lines().filter(l -> l.startsWith(key) && l.substring(0, l.indexOf(':') < 0 ? l.length() : l.indexOf(':')).trim().equals(key))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim());
    }

    private static String read(Path p, Supplier<String> fallback) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return fallback.get();
        }
    }
}
