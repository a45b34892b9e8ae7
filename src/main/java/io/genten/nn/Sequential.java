package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Named children run in order; backward runs them in reverse. Names compose into state-dict names. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    /**
     * An empty pipeline.
     *
     * @param backend the backend of every layer to add
     */
    public Sequential(Backend backend) { super(backend); }

    /**
     * Appends a named layer.
     *
     * @param name  the layer's state-dict name
     * @param layer a module on the same backend
     * @return this, for chaining
     */
    public Sequential add(String name, Module layer) {
        layers.add(registerModule(name, layer));
        return this;
    }

    /**
     * The layers in order.
     *
     * @return an unmodifiable copy
     */
    public List<Module> layers() { return List.copyOf(layers); }

    /**
     * Folds each ReLU or LeakyReLU that directly follows a BatchNorm or a Conv2d into that layer, which
     * then applies it in the same pass (one kernel instead of two on the GPU, one tensor less); the
     * activation layer stays, passing through, so names and structure are unchanged. Outputs and
     * gradients are the same as unfused.
     *
     * @return this
     */
    public Sequential fuseActivations() {
        for (int i = 0; i + 1 < layers.size(); i++) {
            if (!(layers.get(i + 1) instanceof Pointwise act) || act.isAbsorbed() || !FusedActivation.fusable(act.activation())) continue;
            switch (layers.get(i)) {
                case BatchNorm bn -> bn.fuse(act.activation());
                case Conv2d conv -> conv.fuse(act.activation());
                default -> { continue; }
            }
            act.absorb();
        }
        return this;
    }

    @Override public Tensor forward(Tensor x) {
        var h = x;
        for (var layer : layers) h = layer.forward(h);
        return h;
    }

    /**
     * The layers' {@link Module#infer} in order. Each intermediate this call made is closed as soon as
     * the next layer has consumed it, so a call holds at most two activations at a time and leaves
     * only its output; an output that would be a view of such an intermediate (a trailing
     * {@link Flatten} or {@link Reshape}) is returned as a copy, so that closing it frees it.
     */
    @Override public Tensor infer(Tensor x) {
        Tensor h = x;
        Tensor made = null; // the tensor this call allocated whose storage h uses, if any
        for (var layer : layers) {
            var next = layer.infer(h);
            if (!sameStorage(next, h) && !sameStorage(next, x)) {
                if (made != null) made.close();
                made = next;
            }
            h = next;
        }
        if (made != null && h != made) { // h is a view of an intermediate: detach it
            var copy = backend.copyOf(h);
            made.close();
            return copy;
        }
        return h;
    }

    private static boolean sameStorage(Tensor a, Tensor b) { return a.storage() == b.storage(); }

    @Override public Tensor backward(Tensor dy) {
        var g = dy;
        for (int i = layers.size() - 1; i >= 0; i--) g = layers.get(i).backward(g);
        return g;
    }

    /** Every layer's backward but the first's, whose input gradient is skipped ({@link Module#backwardParameters}). */
    @Override public void backwardParameters(Tensor dy) {
        if (layers.isEmpty()) return;
        var g = dy;
        for (int i = layers.size() - 1; i >= 1; i--) g = layers.get(i).backward(g);
        layers.get(0).backwardParameters(g);
    }
}
