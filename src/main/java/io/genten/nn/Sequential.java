package io.genten.nn;

import io.genten.backend.Backend;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Named children run in order; backward runs them in reverse. Names compose into state-dict names. */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Backend backend) { super(backend); }

    /** Appends a named layer; returns this for chaining. */
    public Sequential add(String name, Module layer) {
        layers.add(registerModule(name, layer));
        return this;
    }

    public List<Module> layers() { return List.copyOf(layers); }

    @Override public Tensor forward(Tensor x) {
        var h = x;
        for (var layer : layers) h = layer.forward(h);
        return h;
    }

    @Override public Tensor backward(Tensor dy) {
        var g = dy;
        for (int i = layers.size() - 1; i >= 0; i--) g = layers.get(i).backward(g);
        return g;
    }
}
