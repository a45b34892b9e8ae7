"""Benchmark shapes shared by kernel_bench.py and ../report.py (same table as ConvCase.java).

A transposed-conv layer is listed as the plain conv whose data-gradient it is, so forward,
backward-data and backward-filter of that conv cover the transposed layer's three passes.
"""

# name: (Cin, H(=W), Cout, k, stride, pad, what)
CONV_LAYERS = {
    "gan.g1": (128, 7, 256, 5, 1, 2, "G conv1: ConvT 256->128 5x5 s1 at 7x7"),
    "gan.d2": (64, 14, 128, 5, 2, 2, "D conv2 64->128 5x5 s2 14->7; G conv2 ConvT 128->64 7->14"),
    "gan.d1": (1, 28, 64, 5, 2, 2, "D conv1 1->64 5x5 s2 28->14; G conv3 ConvT 64->1 14->28"),
    "vae.enc1": (1, 28, 32, 3, 2, 1, "enc1 1->32 3x3 s2 28->14"),
    "vae.enc2": (32, 14, 64, 3, 2, 1, "enc2 32->64 3x3 s2 14->7"),
    "vae.dec1": (64, 14, 64, 3, 2, 1, "dec1 ConvT 64->64 3x3 s2 7->14"),
    "vae.dec2": (32, 28, 64, 3, 2, 1, "dec2 ConvT 64->32 3x3 s2 14->28"),
    "vae.dec3": (32, 28, 1, 3, 1, 1, "dec3 32->1 3x3 s1 28->28"),
    "big": (256, 28, 256, 3, 1, 1, "256x28x28 -> 256 3x3 s1 (DESIGN.md's large TF32 reference)"),
}

CONV_SHAPES = [f"{name}@{n}" for n in (64, 256, 1024) for name in CONV_LAYERS if name != "big"] + ["big@128"]

BATCHNORM_SHAPES = ["256x64x14x14", "256x128x7x7", "256x256x28x28", "64x512x56x56"]

REPARAM_SHAPES = ["256x32", "4096x256", "1048576x64"]


def conv_case(shape):
    """'gan.d2@64' -> dict with n, cin, h, w, cout, k, stride, pad, oh, ow, flops."""
    name, n = shape.split("@")
    cin, h, cout, k, stride, pad, _ = CONV_LAYERS[name]
    n = int(n)
    oh = (h + 2 * pad - k) // stride + 1
    return dict(n=n, cin=cin, h=h, w=h, cout=cout, k=k, stride=stride, pad=pad, oh=oh, ow=oh,
                flops=2.0 * n * cout * oh * oh * cin * k * k)


def dims(shape):
    """'256x64x14x14' -> [256, 64, 14, 14]."""
    return [int(d) for d in shape.split("x")]
