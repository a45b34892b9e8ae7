package io.genten.djlpeer;

import ai.djl.ndarray.NDManager;

/** The DJL side by model name, and the parameter-count check both sides must pass. */
final class Peers {
    private Peers() {}

    static TrainStep djl(String model, NDManager manager, int batch, boolean recordLoss) {
        return switch (model) {
            case "vae" -> new DjlVae(manager, batch, recordLoss);
            case "dcgan" -> new DjlDcgan(manager, batch, recordLoss);
            default -> throw new IllegalArgumentException("model must be vae or dcgan, not " + model);
        };
    }

    /**
     * Fails loudly unless both sides train the same number of parameters (batch-norm running
     * statistics excluded on both).
     *
     * @return the count
     */
    static long checkParameterCounts(String model, TrainStep genten, TrainStep djl) {
        long g = genten.parameterCount(), d = djl.parameterCount();
        if (g != d) {
            throw new IllegalStateException(model + ": Genten trains " + g + " parameters but the DJL model " + d
                    + ": the two models differ, the comparison would be meaningless");
        }
        return g;
    }
}
