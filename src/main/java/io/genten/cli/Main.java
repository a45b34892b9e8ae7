package io.genten.cli;

import io.genten.backend.cpu.CpuBackend;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code genten train | sample | info | bench | evaluate}. */
@Command(name = "genten", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Genten: train and sample DCGAN and VAE models on the CPU or a CUDA GPU.")
public final class Main implements Runnable {
    /**
     * The commands, in the order help lists them. picocli builds a command's model by reflection
     * over its annotations when the command is added (about 0.1 s of a cold JVM for the five), so
     * a run whose first word names a command adds that one only; anything else (help, a typo, an
     * option first) gets them all, for picocli's usage and suggestions.
     */
    private static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        var m = new LinkedHashMap<String, Supplier<Object>>();
        m.put("train", TrainCommand::new);
        m.put("sample", SampleCommand::new);
        m.put("info", InfoCommand::new);
        m.put("bench", BenchCommand::new);
        m.put("evaluate", EvaluateCommand::new);
        return Collections.unmodifiableMap(m);
    }

    /** The root command, for picocli. */
    public Main() {}

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /**
     * Runs the command line and exits with its code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        // first: the CPU backend's class starts loading the native GEMM library on a background thread,
        // which then overlaps parsing and the command's set-up instead of the first training step
        // (every command opens the CPU backend, the CUDA one as its fallback): DCGAN's first step
        // through ./genten, as bench reports it, 0.95-1.02 -> 0.89-0.93 s (medians of 6, 2 cores);
        // the VAE's unchanged
        CpuBackend.get();
        CliLogging.configure();
        System.exit(run(args));
    }

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "on failure, print the stack trace after the one-line reason")
    boolean verbose;

    /**
     * Runs the command line and returns the exit code (tests call this instead of main): 0 done,
     * 1 a runtime failure, 2 a usage error. Every failure is one line "genten: reason" on stderr
     * ({@link Failures}); --verbose (or -Dgenten.debug=true) adds the stack trace.
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int run(String... args) {
        var cli = new CommandLine(new Main());
        var named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) cli.addSubcommand(named.get());
        else COMMANDS.values().forEach(command -> cli.addSubcommand(command.get()));
        try {
            return execute(cli, args);
        } catch (VirtualMachineError e) { // picocli hands Errors through: out of memory or stack must still be one line
            cli.getErr().println("genten: " + Failures.describe(e));
            if (java.util.Arrays.asList(args).contains("--verbose") || Boolean.getBoolean("genten.debug")) e.printStackTrace(cli.getErr());
            return Failures.exitCode(e);
        }
    }

    private static int execute(CommandLine cli, String... args) {
        return cli
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    cmd.getErr().println("genten: " + Failures.describe(ex));
                    boolean verbose = parsed.asCommandLineList().stream().anyMatch(c -> c.getParseResult() != null && c.getParseResult().hasMatchedOption("--verbose"));
                    if (verbose || Boolean.getBoolean("genten.debug")) ex.printStackTrace(cmd.getErr());
                    return Failures.exitCode(ex);
                })
                .execute(args);
    }

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            var v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"genten " + (v == null ? "dev" : v)};
        }
    }
}
