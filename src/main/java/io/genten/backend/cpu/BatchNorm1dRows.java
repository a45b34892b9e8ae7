package io.genten.backend.cpu;

import io.genten.backend.Activation;

/**
 * Batch norm of a rank-2 (N, C) input, row by row. A channel's values are C floats apart, so the
 * per-channel loops of {@link CpuBatchNorm} would walk them one at a time; here every pass runs
 * along a row, over a range of channels, with one double accumulator per channel (double[]
 * beside float[]: C2 sees they cannot alias and vectorizes). The same two-pass statistics in double
 * as the rank-4 path, each channel's sum taken in row order: deterministic for any thread count.
 * The DCGAN generator's BatchNorm1d(12544) runs here.
 */
final class BatchNorm1dRows {
    private BatchNorm1dRows() {}

    /** Channels per parallel task: a range long enough to vectorize, short enough to stay in cache. */
    private static final int CHANNELS_PER_TASK = 1024;

    private interface ChannelRange { void run(int from, int to); }

    private static void overChannels(int c, int n, ChannelRange body) {
        int tasks = Math.ceilDiv(c, CHANNELS_PER_TASK);
        Parallel.forEach(tasks, 6L * n * CHANNELS_PER_TASK, t -> body.run(t * CHANNELS_PER_TASK, Math.min(c, (t + 1) * CHANNELS_PER_TASK)));
    }

    static void trainForward(float[] x, float[] y, int n, int c, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                             float momentum, float eps, float[] saveMean, float[] saveInvStd, Activation act) {
        overChannels(c, n, (from, to) -> {
            int len = to - from;
            double[] mean = new double[len], sq = new double[len], scale = new double[len];
            for (int i = 0; i < n; i++) {
                int row = i * c + from;
                for (int j = 0; j < len; j++) mean[j] += x[row + j];
            }
            for (int j = 0; j < len; j++) mean[j] /= n;
            for (int i = 0; i < n; i++) {
                int row = i * c + from;
                for (int j = 0; j < len; j++) {
                    double d = x[row + j] - mean[j];
                    sq[j] += d * d;
                }
            }
            for (int j = 0; j < len; j++) {
                int ch = from + j;
                double invStd = 1.0 / Math.sqrt(sq[j] / n + eps);
                scale[j] = invStd * gamma[ch];
                saveMean[ch] = (float) mean[j];
                saveInvStd[ch] = (float) invStd;
                runningMean[ch] = (float) ((1.0 - momentum) * runningMean[ch] + momentum * mean[j]);
                runningVar[ch] = (float) ((1.0 - momentum) * runningVar[ch] + momentum * (sq[j] / (n - 1)));
            }
            for (int i = 0; i < n; i++) {
                int row = i * c + from;
                for (int j = 0; j < len; j++) y[row + j] = (float) ((x[row + j] - mean[j]) * scale[j] + beta[from + j]);
                CpuPointwise.activateInPlace(act, y, row, row + len);
            }
        });
    }

    static void backward(float[] dy, float[] x, float[] dx, int n, int c, float[] gamma, float[] saveMean, float[] saveInvStd,
                         float[] dgamma, float[] dbeta) {
        overChannels(c, n, (from, to) -> {
            int len = to - from;
            double[] mean = new double[len], sumDy = new double[len], sumDyCentred = new double[len], k0 = new double[len], invStd = new double[len];
            for (int j = 0; j < len; j++) {
                mean[j] = saveMean[from + j];
                invStd[j] = saveInvStd[from + j];
            }
            for (int i = 0; i < n; i++) {
                int row = i * c + from;
                for (int j = 0; j < len; j++) {
                    double d = dy[row + j];
                    sumDy[j] += d;
                    sumDyCentred[j] += d * (x[row + j] - mean[j]);
                }
            }
            for (int j = 0; j < len; j++) {
                double sumDyXhat = sumDyCentred[j] * invStd[j];
                dbeta[from + j] = (float) sumDy[j];
                dgamma[from + j] = (float) sumDyXhat;
                k0[j] = gamma[from + j] * invStd[j] / n;
                sumDyCentred[j] = sumDyXhat; // from here on: the sum of dy * xhat
            }
            for (int i = 0; i < n; i++) {
                int row = i * c + from;
                for (int j = 0; j < len; j++) {
                    double xhat = (x[row + j] - mean[j]) * invStd[j];
                    dx[row + j] = (float) (k0[j] * (n * (double) dy[row + j] - sumDy[j] - xhat * sumDyCentred[j]));
                }
            }
        });
    }
}
