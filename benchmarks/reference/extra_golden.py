"""PyTorch's golden values for the extra models of issue 12 (mlpgan, lsgan, vae2d, cgan), the oracle of
io.genten.models.ExtraGoldenTest: forward outputs, losses, input gradients and every parameter gradient
of one training step's passes, computed in float64 (the exact answer for the float32 weights and inputs,
so the tolerance on the Java side covers only its own rounding), from weights and inputs both sides draw from Genten's Philox stream
(uniform values, which convert exactly: no weight file is needed).

Weights (both sides, by state-dict name): u = Philox uniform (seed WEIGHT_SEED, offset crc32(name));
running_mean 0, running_var 1 (PyTorch's defaults); a batch-norm weight 0.75 + 0.5 u; any other
tensor (2u - 1) * bound with bound = float32(1 / sqrt(numel / shape[0])) for rank >= 2, 0.5 for rank 1.
Inputs: real images from seed 77 (2u - 1 for the tanh models, u for the sigmoid ones), z = 2u - 1 from
seed 78, the VAE's eps = 2u - 1 from seed 79, all at offset 0.

What a GAN file holds (the passes of GanPairTrainer's step, without the optimizer): fake = G(z) in
training mode; D's outputs on the real batch and on fake (detached), the loss of each against the
trainer's targets (BCE against 0.9 and 0, or the least-squares halves against 1 and 0), their input
gradient on the real batch and D's parameter gradients accumulated over both passes; then G's loss
against D's target 1 and the gradients of G's parameters and of z; and G's BatchNorm running
statistics after its one training-mode forward. A VAE file: logits, mu, logvar, the per-image
reconstruction and KL terms, and every parameter gradient of (reconstruction + KL) / N, for BCE and
for MSE. Tensors of more than SUMMARIZE elements (the default sizes' big layers) are stored as
"NAME#stats" = [sum, sum of |v|, sum of v^2] (float64 sums, stored as float32) and "NAME#sample" = the
values at indices round(i (numel - 1) / (SAMPLES - 1)), so the files stay small.

usage: python3 benchmarks/reference/extra_golden.py [out folder, default src/test/resources/golden]
(PyTorch >= 1.13 and numpy; the files written here came from Debian's python3-torch 1.13.1, CPU.)
"""
import json
import math
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extra_models  # noqa: E402
import philox  # noqa: E402

WEIGHT_SEED, IMAGE_SEED, Z_SEED, EPS_SEED = 20261201, 77, 78, 79
SUMMARIZE, SAMPLES = 1024, 64
BATCH = 3
# The default lsgan's G normalizes after each ReLU: a feature that is positive on few images of a small
# batch has a tiny variance, and its backward multiplies rounding errors by up to 1/sqrt(eps) = 316 per
# layer. At batch 3 PyTorch's own float32 G gradients were 9e-3 (relative) off its float64 ones; at 16, 1.2e-4.
LSGAN_FULL_BATCH = 16
LABELS = [3, 7, 3]
REAL_LABEL = 0.9
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def uniform(seed, offset, n):
    """Genten's Philox.uniform: (word >>> 8) * 2^-24, exact in float32."""
    blocks = (n + 3) // 4
    w = philox.words(seed, offset, blocks)[:n]
    return ((w >> np.uint64(8)).astype(np.float64) * 2.0 ** -24).astype(np.float32)


def symmetric(seed, shape):
    n = int(np.prod(shape))
    u = uniform(seed, 0, n)
    return torch.from_numpy((u * np.float32(2) - np.float32(1)).reshape(shape))


def weight(name, shape):
    n = int(np.prod(shape))
    if name.endswith("running_mean"):
        return np.zeros(shape, np.float32)
    if name.endswith("running_var"):
        return np.ones(shape, np.float32)
    u = uniform(WEIGHT_SEED, zlib.crc32(name.encode()), n).reshape(shape)
    if ".bn" in name and name.endswith(".weight"):
        return np.float32(0.75) + np.float32(0.5) * u
    bound = np.float32(1.0 / math.sqrt(n / shape[0])) if len(shape) >= 2 else np.float32(0.5)
    return (u * np.float32(2) - np.float32(1)) * bound


def fill(model):
    state = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        state[name] = torch.from_numpy(weight(name, tuple(t.shape)).copy())
    result = model.load_state_dict(state, strict=False)
    assert not result.unexpected_keys and all(k.endswith("num_batches_tracked") for k in result.missing_keys), result


def put(out, name, t):
    d = t.detach().double().numpy().reshape(-1)
    a = d.astype(np.float32)
    if a.size > SUMMARIZE:
        out[name + "#stats"] = np.array([d.sum(), np.abs(d).sum(), (d * d).sum()], np.float32)
        idx = np.round(np.arange(SAMPLES) * (a.size - 1) / (SAMPLES - 1)).astype(np.int64)
        out[name + "#sample"] = a[idx]
    else:
        out[name] = a


def write(path, tensors, meta):
    header, offset, blobs = {"__metadata__": meta}, 0, []
    for name, a in tensors.items():
        b = a.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": [int(a.size)], "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print(f"{path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def gan_losses(kind, out, target):
    if kind == "lsgan":
        return 0.5 * F.mse_loss(out, torch.full_like(out, target))
    return F.binary_cross_entropy_with_logits(out, torch.full_like(out, target))


def gan_file(kind, model, latent, conditional, path, meta, batch=BATCH):
    fill(model)
    model.double().train()
    g, d = model.generator, model.discriminator
    tanh = kind != "mlpgan"
    if tanh:
        x = symmetric(IMAGE_SEED, (batch, 1, 28, 28)).double()
    else:
        x = torch.from_numpy(uniform(IMAGE_SEED, 0, batch * 784).reshape(batch, 1, 28, 28)).double()
    z = symmetric(Z_SEED, (batch, latent)).double().requires_grad_(True)
    labels = torch.tensor(LABELS)
    gen = (lambda v: g(v, labels)) if conditional else g
    dis = (lambda v: d(v, labels)) if conditional else d
    real_target = 1.0 if kind == "lsgan" else REAL_LABEL
    out = {}

    fake = gen(z)
    put(out, "fake", fake)
    for name, t in g.state_dict().items():
        if "running" in name:
            put(out, "after.generator." + name, t)

    xr = x.clone().requires_grad_(True)
    out_real = dis(xr)
    loss_real = gan_losses(kind, out_real, real_target)
    out_fake = dis(fake.detach())
    loss_fake = gan_losses(kind, out_fake, 0.0)
    d.zero_grad()
    (loss_real + loss_fake).backward()
    put(out, "out_real", out_real)
    put(out, "out_fake", out_fake)
    put(out, "loss_real", loss_real.reshape(1))
    put(out, "loss_fake", loss_fake.reshape(1))
    put(out, "dx_real", xr.grad)
    for name, p in d.named_parameters():
        put(out, "grad.discriminator." + name, p.grad)

    g.zero_grad()
    d.zero_grad()
    out_g = dis(fake)
    loss_g = gan_losses(kind, out_g, 1.0)
    loss_g.backward()
    put(out, "out_g", out_g)
    put(out, "loss_g", loss_g.reshape(1))
    put(out, "dz", z.grad)
    for name, p in g.named_parameters():
        put(out, "grad.generator." + name, p.grad)
    write(path, out, meta)


def vae_file(hidden, latent, path, meta):
    model = extra_models.DenseVAE(hidden, latent)
    fill(model)
    model.double().train()
    x = torch.from_numpy(uniform(IMAGE_SEED, 0, BATCH * 784).reshape(BATCH, 1, 28, 28)).double()
    eps = symmetric(EPS_SEED, (BATCH, latent)).double()
    out = {}
    for recon in ("bce", "mse"):
        model.zero_grad()
        logits, mu, logvar = model(x, eps)
        if recon == "bce":
            rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        else:
            rec = F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = extra_models.dense_vae_loss(logits, x, mu, logvar, recon)
        loss.backward()
        if recon == "bce":
            put(out, "logits", logits)
            put(out, "mu", mu)
            put(out, "logvar", logvar)
        put(out, recon + ".reconstruction", (rec / BATCH).reshape(1))
        put(out, recon + ".kl", (kl / BATCH).reshape(1))
        put(out, recon + ".total", loss.reshape(1))
        for name, p in model.named_parameters():
            put(out, recon + ".grad." + name, p.grad)
    write(path, out, meta)


def main(folder):
    torch.set_num_threads(1)
    os.makedirs(folder, exist_ok=True)
    common = {"torch": torch.__version__, "script": "benchmarks/reference/extra_golden.py", "batch": str(BATCH)}
    # small widths: every tensor in full
    gan_file("mlpgan", extra_models.MlpGan(6, (3,), (3,)), 6, False, os.path.join(folder, "extra_mlpgan_small.safetensors"),
             dict(common, spec="latent 6, G (3), D (3), sigmoid, BCE"))
    gan_file("lsgan", extra_models.MlpGan(6, (4, 5), (5, 4), batch_norm=True, tanh=True, d_leak=0.2), 6, False,
             os.path.join(folder, "extra_lsgan_small.safetensors"), dict(common, spec="latent 6, G (4, 5) + BatchNorm1d, D (5, 4) LeakyReLU 0.2, tanh, LSGAN"))
    cgan = extra_models.ConditionalDCGAN()
    cgan.generator = extra_models.CondGenerator(6, 2, 3, 2)
    cgan.discriminator = extra_models.CondDiscriminator(2, 3, dropout=0.0)
    gan_file("cgan", cgan, 6, True, os.path.join(folder, "extra_cgan_small.safetensors"), dict(common, spec="latent 6, G 2, 3, 2, D 2, 3, no dropout"))
    vae_file(4, 2, os.path.join(folder, "extra_vae2d_small.safetensors"), dict(common, spec="hidden 4, latent 2"))
    # the default sizes (big tensors summarized); cgan without dropout (PyTorch's masks are not Philox's)
    gan_file("mlpgan", extra_models.MlpGan(), 100, False, os.path.join(folder, "extra_mlpgan_full.safetensors"), dict(common, spec="default"))
    gan_file("lsgan", extra_models.MlpGan.deep(), 100, False, os.path.join(folder, "extra_lsgan_full.safetensors"),
             dict(common, spec="default", batch=str(LSGAN_FULL_BATCH)), batch=LSGAN_FULL_BATCH)
    cgan = extra_models.ConditionalDCGAN()
    cgan.discriminator.dropout = 0.0
    gan_file("cgan", cgan, 100, True, os.path.join(folder, "extra_cgan_full.safetensors"), dict(common, spec="default, no dropout"))
    vae_file(16, 2, os.path.join(folder, "extra_vae2d_full.safetensors"), dict(common, spec="default"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "src/test/resources/golden"))
