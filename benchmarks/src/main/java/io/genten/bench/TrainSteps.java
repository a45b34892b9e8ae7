package io.genten.bench;

import io.genten.backend.Backend;

/**
 * One full training step of a model on a fixed synthetic batch (static inputs, as a captured
 * graph needs): the VAE's forward, loss, backward and Adam; the GAN's discriminator and
 * generator steps. The one place the benchmarks touch io.genten.models.
 *
 * <p>ADAPTER: this build has no io.genten.models yet; creating a step skips.
 */
final class TrainSteps {
    private TrainSteps() {}

    interface TrainStep extends AutoCloseable {
        /** Queues one step; the caller synchronizes. */
        void step();

        @Override void close();
    }

    static TrainStep create(String model, Backend backend, int batch, long seed) {
        if (!model.equals("vae") && !model.equals("dcgan")) throw new IllegalArgumentException("model must be vae or dcgan, not " + model);
        throw Skip.because(model + ": the models (io.genten.models) are not part of this build");
    }
}
