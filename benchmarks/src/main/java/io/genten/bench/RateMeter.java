package io.genten.bench;

/**
 * A per-iteration printout of a derived rate (TFLOP/s, GB/s, images/s) beside JMH's time per
 * operation: counts invocations between the iteration's setup and teardown. It includes the
 * harness's few nanoseconds per call, so JMH's score (and report.py) stays the exact figure.
 */
final class RateMeter {
    private final String label;
    private final String unit;
    private final double perOp;
    private long start;
    private long ops;

    /** {@code perOp} units of work (FLOPs, bytes, images) per invocation; {@code unit} names the printed rate. */
    RateMeter(String label, String unit, double perOp) {
        this.label = label;
        this.unit = unit;
        this.perOp = perOp;
    }

    static RateMeter tflops(String label, double flops) { return new RateMeter(label, "TFLOP/s", flops / 1e12); }

    static RateMeter gbps(String label, double bytes) { return new RateMeter(label, "GB/s", bytes / 1e9); }

    static RateMeter imagesPerSecond(String label, int batch) { return new RateMeter(label, "images/s", batch); }

    void startIteration() {
        ops = 0;
        start = System.nanoTime();
    }

    void tick() { ops++; }

    void endIteration() {
        double seconds = (System.nanoTime() - start) / 1e9;
        if (ops > 0 && seconds > 0) {
            System.out.printf("  [%s] %.4g %s over %d ops%n", label, perOp * ops / seconds, unit, ops);
        }
    }
}
