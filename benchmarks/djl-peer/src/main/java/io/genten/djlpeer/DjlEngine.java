package io.genten.djlpeer;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Loads DJL's PyTorch engine the way this benchmark needs it: offline (libtorch comes from the
 * pytorch-native-cpu jar on the class path, extracted once to DJL's cache; nothing is
 * downloaded), and with a fixed number of threads.
 */
public final class DjlEngine {
    private DjlEngine() {}

    /**
     * Loads the engine (once per JVM) and sets libtorch's intra-op threads.
     *
     * <p>The inter-op pool can be sized only before libtorch's first parallel work, so it is sized
     * here from {@code maxThreads} (eager training does not use it: each op runs on the intra-op
     * pool); the intra-op pool (OpenMP) can change between runs through
     * {@link #setThreads}.
     *
     * @param threads intra-op threads now
     * @param maxThreads the most threads any later run asks for
     * @return the engine
     */
    public static synchronized Engine load(int threads, int maxThreads) {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.default_engine", "PyTorch");
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(maxThreads));
        }
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        var engine = Engine.getEngine("PyTorch");
        setThreads(threads);
        return engine;
    }

    /**
     * Sets libtorch's intra-op threads (torch.set_num_threads) and checks that it took.
     *
     * @param threads at least 1
     */
    public static void setThreads(int threads) {
        JniUtils.setNumThreads(threads);
        int now = JniUtils.getNumThreads();
        if (now != threads) throw new IllegalStateException("libtorch runs " + now + " intra-op threads, asked for " + threads);
    }

    /**
     * libtorch's intra-op threads now.
     *
     * @return torch.get_num_threads()
     */
    public static int threads() { return JniUtils.getNumThreads(); }

    /**
     * libtorch's inter-op threads.
     *
     * @return torch.get_num_interop_threads()
     */
    public static int interopThreads() { return JniUtils.getNumInteropThreads(); }
}
