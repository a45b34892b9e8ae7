package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * FFM bindings to the extra models' block at the end of {@code genten.h} ({@code concat.cu},
 * {@code softmax_xent.cu}), kept apart from {@link Native} so the two tables merge independently;
 * {@link Native#SYMBOLS} includes these names, so the header and library checks cover them.
 * Handles are linked on the first downcall, as in {@link Native}.
 */
final class NativeModelOps {
    private NativeModelOps() {}

    static final List<NativeFunction> FUNCTIONS = List.of(
            new NativeFunction("genten_copy_blocks", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), true),
            new NativeFunction("genten_softmax_xent", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_FLOAT, ADDRESS), true),
            new NativeFunction("genten_softmax_xent_backward", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_FLOAT, ADDRESS), true));

    private static final class H {
        private static MethodHandle bind(String name) {
            var f = FUNCTIONS.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            var symbol = NativeLibrary.require().find(name).orElseThrow(() -> new CudaUnavailableException(
                    "libgenten_cuda.so at " + NativeLibrary.status().path() + " does not export " + name
                            + ": it was built from another version of genten.h; rebuild it (./mvnw package without -Dgenten.skipNative)"));
            return Linker.nativeLinker().downcallHandle(symbol, f.descriptor(), Linker.Option.critical(false));
        }

        static final MethodHandle COPY_BLOCKS = bind("genten_copy_blocks");
        static final MethodHandle SOFTMAX_XENT = bind("genten_softmax_xent");
        static final MethodHandle SOFTMAX_XENT_BACKWARD = bind("genten_softmax_xent_backward");
    }

    private static CudaException failed(String name, Throwable t) {
        if (t instanceof CudaUnavailableException u) throw u;
        if (t instanceof ExceptionInInitializerError e && e.getCause() instanceof CudaUnavailableException u) {
            throw new CudaUnavailableException(u.getMessage(), u);
        }
        return new CudaException("downcall " + name + " failed: " + t, -1);
    }

    static int copyBlocks(MemorySegment dst, long dstPitch, MemorySegment src, long srcPitch, long rows, long width, MemorySegment stream) {
        try {
            return (int) H.COPY_BLOCKS.invokeExact(dst, dstPitch, src, srcPitch, rows, width, stream);
        } catch (Throwable t) {
            throw failed("genten_copy_blocks", t);
        }
    }

    static int softmaxXent(MemorySegment logits, MemorySegment targets, MemorySegment out, long n, int c, float scale, MemorySegment stream) {
        try {
            return (int) H.SOFTMAX_XENT.invokeExact(logits, targets, out, n, c, scale, stream);
        } catch (Throwable t) {
            throw failed("genten_softmax_xent", t);
        }
    }

    static int softmaxXentBackward(MemorySegment logits, MemorySegment targets, MemorySegment dx, long n, int c, float scale, MemorySegment stream) {
        try {
            return (int) H.SOFTMAX_XENT_BACKWARD.invokeExact(logits, targets, dx, n, c, scale, stream);
        } catch (Throwable t) {
            throw failed("genten_softmax_xent_backward", t);
        }
    }
}
