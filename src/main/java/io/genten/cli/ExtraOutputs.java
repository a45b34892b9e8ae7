package io.genten.cli;

import io.genten.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;

/** The extra models' end-of-training pictures: each run writes its own set and says which. */
interface ExtraOutputs {
    /** Writes the PNGs into {@code outDir}; returns their names for the log line. */
    String writeOutputs(Path outDir, Dataset dataset, long seed) throws IOException;
}
