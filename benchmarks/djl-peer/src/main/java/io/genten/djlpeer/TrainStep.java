package io.genten.djlpeer;

/** One full training step of a model on a fixed synthetic batch, on one side (Genten or DJL). */
public interface TrainStep extends AutoCloseable {
    /** Runs one step to completion (both sides compute synchronously on the CPU). */
    void step();

    /**
     * The loss of the last step (the VAE's, or the GAN's discriminator loss plus generator loss),
     * read back for checks only: {@link #step} itself reads nothing back.
     *
     * @return the last loss, NaN before the first step or where the side does not keep it
     */
    double lastLoss();

    /**
     * Trainable parameters (batch-norm running statistics excluded).
     *
     * @return the count
     */
    long parameterCount();

    @Override void close();
}
