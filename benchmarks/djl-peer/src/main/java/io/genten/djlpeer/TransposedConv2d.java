package io.genten.djlpeer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.ArrayList;

/**
 * An exact transposed convolution (PyTorch's {@code conv_transpose2d}, square kernel) from ops
 * that DJL 0.36's PyTorch engine has, differentiable through its autograd: that engine's
 * {@code Conv2dTranspose} throws "Not implemented".
 *
 * <p>The weight keeps ConvTranspose2d's shape (in, out, k, k), so parameter counts match. Output
 * row {@code oy = iy * s - p + ky}: the rows of one phase {@code r = oy mod s} take only the taps
 * {@code ky = (r + p) mod s + s * j}, so each of the s x s output phases is an ordinary
 * stride-1 conv of the input with the sub-kernel of its taps (channel axes swapped, flipped),
 * padded (or cropped) exactly so that it computes only that phase's outputs: no multiply-add of
 * an inserted zero, unlike the textbook zero-dilated input. The phases are interleaved back by
 * stack + reshape. Stride 1 is the single phase: a conv with the flipped, channel-swapped weight
 * and padding k - 1 - p.
 */
public final class TransposedConv2d {
    private TransposedConv2d() {}

    /** One axis of one phase: which taps, the phase's output length and the input padding. */
    record Phase(int firstTap, int taps, int outputs, int padBefore, int padAfter) {
        /**
         * @param r phase (output index mod stride)
         * @param in input length
         * @param out output length
         */
        static Phase of(int r, int in, int out, int k, int stride, int padding) {
            int first = Math.floorMod(r + padding, stride);
            int taps = first < k ? (k - first + stride - 1) / stride : 0;
            int outputs = r < out ? (out - r + stride - 1) / stride : 0;
            int c = (r + padding - first) / stride;     // exact: r + padding - first is a multiple of stride
            int before = taps - 1 - c;
            int after = outputs + taps - 1 - in - before;
            return new Phase(first, taps, outputs, before, after);
        }
    }

    /**
     * The output length of a transposed conv along one axis.
     *
     * @param in input length
     * @param k kernel size
     * @param stride stride
     * @param padding padding
     * @param outputPadding output padding
     * @return (in - 1) * stride - 2 * padding + k + outputPadding
     */
    public static int outputSize(int in, int k, int stride, int padding, int outputPadding) {
        return (in - 1) * stride - 2 * padding + k + outputPadding;
    }

    /**
     * y = conv_transpose2d(x, w, bias, stride, padding, outputPadding).
     *
     * @param x (N, in, H, W)
     * @param w (in, out, k, k)
     * @param bias (out) or null
     * @param stride at least 1
     * @param padding at least 0
     * @param outputPadding in [0, stride)
     * @return (N, out, OH, OW)
     */
    public static NDArray forward(NDArray x, NDArray w, NDArray bias, int stride, int padding, int outputPadding) {
        Shape xs = x.getShape(), ws = w.getShape();
        if (xs.dimension() != 4 || ws.dimension() != 4 || xs.get(1) != ws.get(0) || ws.get(2) != ws.get(3)) {
            throw new IllegalArgumentException("TransposedConv2d: input " + xs + " and weight " + ws + " (need (N, in, H, W) and (in, out, k, k))");
        }
        if (stride < 1 || padding < 0 || outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("TransposedConv2d: stride " + stride + ", padding " + padding + ", output padding " + outputPadding);
        }
        int n = (int) xs.get(0), h = (int) xs.get(2), wd = (int) xs.get(3), cout = (int) ws.get(1), k = (int) ws.get(2);
        int oh = outputSize(h, k, stride, padding, outputPadding), ow = outputSize(wd, k, stride, padding, outputPadding);
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("TransposedConv2d: empty output for input " + xs + " and weight " + ws);
        // (in, out, k, k) -> (out, in, k, k): the conv's channel axes; a view, the slices below copy
        NDArray wt = w.transpose(1, 0, 2, 3);
        NDArray y;
        if (stride == 1) {
            y = phase(x, wt, Phase.of(0, h, oh, k, 1, padding), Phase.of(0, wd, ow, k, 1, padding), 1, n, cout);
        } else {
            int mh = (oh + stride - 1) / stride, mw = (ow + stride - 1) / stride;
            var rows = new NDList();
            for (int ry = 0; ry < stride; ry++) {
                var py = Phase.of(ry, h, oh, k, stride, padding);
                var cols = new NDList();
                for (int rx = 0; rx < stride; rx++) {
                    var px = Phase.of(rx, wd, ow, k, stride, padding);
                    // pad the shorter phases of an odd output to the longest; the extra row/column is cut below
                    cols.add(padOrCrop(phase(x, wt, py, px, stride, n, cout), 0, mh - py.outputs(), 0, mw - px.outputs()));
                }
                // (N, C, mh, mw, s) -> (N, C, mh, mw * s): column ox = n * s + rx
                rows.add(NDArrays.stack(cols, 4).reshape(n, cout, mh, (long) mw * stride));
            }
            // (N, C, mh, s, mw * s) -> (N, C, mh * s, mw * s): row oy = m * s + ry
            y = NDArrays.stack(rows, 3).reshape(n, cout, (long) mh * stride, (long) mw * stride);
            if (mh * stride != oh || mw * stride != ow) y = y.get(new NDIndex(":, :, :{}, :{}", oh, ow));
        }
        return bias == null ? y : y.add(bias.reshape(1, cout, 1, 1));
    }

    /** One output phase: a stride-1 conv of x with the phase's taps of wt (out, in, k, k), flipped. */
    private static NDArray phase(NDArray x, NDArray wt, Phase py, Phase px, int stride, int n, int cout) {
        if (py.outputs() == 0 || px.outputs() == 0) throw new IllegalStateException("TransposedConv2d: empty phase " + py + " " + px);
        if (py.taps() == 0 || px.taps() == 0) {
            // no tap lands on this phase (kernel smaller than the stride): zeros
            return x.getManager().zeros(new Shape(n, cout, py.outputs(), px.outputs()), x.getDataType());
        }
        NDArray sub = stride == 1 ? wt : wt.get(new NDIndex(":, :, {}::{}, {}::{}", py.firstTap(), stride, px.firstTap(), stride));
        sub = sub.flip(2, 3);
        boolean symmetric = py.padBefore() == py.padAfter() && py.padBefore() >= 0 && px.padBefore() == px.padAfter() && px.padBefore() >= 0;
        if (symmetric) {
            // the conv pads by itself
            return Conv2d.conv2d(x, sub, null, new Shape(1, 1), new Shape(py.padBefore(), px.padBefore())).singletonOrThrow();
        }
        NDArray xp = padOrCrop(x, py.padBefore(), py.padAfter(), px.padBefore(), px.padAfter());
        return Conv2d.conv2d(xp, sub, null, new Shape(1, 1), new Shape(0, 0)).singletonOrThrow();
    }

    /** Zero-pads (positive) or crops (negative) the last two axes of an NCHW array. */
    static NDArray padOrCrop(NDArray a, int top, int bottom, int left, int right) {
        if (top == 0 && bottom == 0 && left == 0 && right == 0) return a;
        Shape s = a.getShape();
        long hh = s.get(2), ww = s.get(3);
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            a = a.get(new NDIndex(":, :, {}:{}, {}:{}", Math.max(0, -top), hh - Math.max(0, -bottom), Math.max(0, -left), ww - Math.max(0, -right)));
        }
        int t = Math.max(0, top), b = Math.max(0, bottom), l = Math.max(0, left), r = Math.max(0, right);
        if (t == 0 && b == 0 && l == 0 && r == 0) return a;
        // torch's constant_pad_nd order: (left, right) of the last axis, then (top, bottom)
        return a.pad(new Shape(l, r, t, b), 0);
    }

    /**
     * Multiply-adds of the phase decomposition per image (including those on the zero border, as
     * any padded conv does), next to {@link #directMacs}.
     *
     * @param cin input channels
     * @param cout output channels
     * @param h input height (= width)
     * @param k kernel
     * @param stride stride
     * @param padding padding
     * @param outputPadding output padding
     * @return sum over phases of out * in * taps * outputs
     */
    public static long phaseMacs(int cin, int cout, int h, int k, int stride, int padding, int outputPadding) {
        int o = outputSize(h, k, stride, padding, outputPadding);
        long sum = 0;
        var axis = new ArrayList<Phase>();
        for (int r = 0; r < stride; r++) axis.add(Phase.of(r, h, o, k, stride, padding));
        for (var py : axis) for (var px : axis) sum += (long) cin * cout * py.taps() * px.taps() * py.outputs() * px.outputs();
        return sum;
    }

    /**
     * Multiply-adds of a direct transposed conv per image: every input pixel times every tap.
     *
     * @param cin input channels
     * @param cout output channels
     * @param h input height (= width)
     * @param k kernel
     * @return cin * cout * k * k * h * h
     */
    public static long directMacs(int cin, int cout, int h, int k) {
        return (long) cin * cout * k * k * h * h;
    }
}
