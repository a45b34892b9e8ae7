package io.genten.models;

import io.genten.nn.Module;
import io.genten.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** The two-network state dict of a {@link PairGan}: "generator." and "discriminator." prefixed names, one file. */
final class GanState {
    private GanState() {}

    static Map<String, Tensor> stateDict(Module g, Module d) {
        var out = new LinkedHashMap<String, Tensor>();
        g.stateDict().forEach((k, v) -> out.put(PairGan.GENERATOR_PREFIX + k, v));
        d.stateDict().forEach((k, v) -> out.put(PairGan.DISCRIMINATOR_PREFIX + k, v));
        return out;
    }

    /** Checks both networks' names and shapes before changing either, then copies the values in. */
    static void load(String model, Module g, Module d, Map<String, Tensor> state) {
        var gs = new LinkedHashMap<String, Tensor>();
        var ds = new LinkedHashMap<String, Tensor>();
        var stray = new TreeSet<String>();
        state.forEach((k, v) -> {
            if (k.startsWith(PairGan.GENERATOR_PREFIX)) gs.put(k.substring(PairGan.GENERATOR_PREFIX.length()), v);
            else if (k.startsWith(PairGan.DISCRIMINATOR_PREFIX)) ds.put(k.substring(PairGan.DISCRIMINATOR_PREFIX.length()), v);
            else stray.add(k);
        });
        var problems = new ArrayList<String>();
        if (!stray.isEmpty()) problems.add("names without a generator./discriminator. prefix " + stray);
        problems.addAll(mismatches("generator", g, gs));
        problems.addAll(mismatches("discriminator", d, ds));
        if (!problems.isEmpty()) throw new IllegalArgumentException(model + ".loadStateDict: " + String.join(", ", problems));
        g.loadStateDict(gs);
        d.loadStateDict(ds);
    }

    private static ArrayList<String> mismatches(String net, Module m, Map<String, Tensor> state) {
        var mine = m.stateDict();
        var problems = new ArrayList<String>();
        for (var e : mine.entrySet()) {
            var t = state.get(e.getKey());
            if (t == null) problems.add(net + ": missing " + e.getKey());
            else if (!t.shape().equals(e.getValue().shape())) problems.add(net + ": " + e.getKey() + " has shape " + t.shape() + " (expected " + e.getValue().shape() + ")");
        }
        for (var k : state.keySet()) if (!mine.containsKey(k)) problems.add(net + ": unexpected " + k);
        return problems;
    }
}
