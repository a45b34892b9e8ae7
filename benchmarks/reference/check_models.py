#!/usr/bin/env python3
"""Checks models.py against the golden files (PyTorch's own values for DESIGN.md's models): the
golden parameter names load with strict=True, and the train-mode forwards (and the VAE's loss)
match. Proof that the reference side benchmarks the same models as Genten.

    python3 check_models.py [GOLDEN_DIR]     (default: ../../../shared/testdata/golden)
"""
import json
import os
import struct
import sys

import numpy as np
import torch

from models import ConvVAE, Discriminator, Generator, vae_loss


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {meta['dtype']}, expected F32")
        a, b = meta["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").copy().reshape(meta["shape"]))
    return out


def state(tensors, prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix) and ".grad." not in k}


def rel(a, b):
    return float((a.double() - b.double()).norm() / max(b.double().norm(), 1e-30))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    golden = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "testdata", "golden")
    torch.set_grad_enabled(True)
    results = []

    g_file = read_safetensors(os.path.join(golden, "dcgan_generator.safetensors"))
    g = Generator().train()
    g.load_state_dict(state(g_file, "start."), strict=False)
    missing = set(g.state_dict()) - set(state(g_file, "start.")) - {k for k in g.state_dict() if k.endswith("num_batches_tracked")}
    assert not missing, f"generator names missing from the golden file: {missing}"
    results.append(("generator img", rel(g(g_file["z"]), g_file["img"])))

    d_file = read_safetensors(os.path.join(golden, "dcgan_discriminator.safetensors"))
    d = Discriminator(dropout=0.0).train()
    d.load_state_dict(state(d_file, "start."), strict=True)
    x = d_file["x"].clone().requires_grad_(True)
    logit = d(x)
    logit.backward(d_file["dlogit"])
    results.append(("discriminator logit", rel(logit, d_file["logit"])))
    results.append(("discriminator dx", rel(x.grad, d_file["dx"])))

    v_file = read_safetensors(os.path.join(golden, "conv_vae.safetensors"))
    v = ConvVAE().train()
    v.load_state_dict(state(v_file, "start."), strict=False)
    missing = set(v.state_dict()) - set(state(v_file, "start.")) - {k for k in v.state_dict() if k.endswith("num_batches_tracked")}
    assert not missing, f"VAE names missing from the golden file: {missing}"
    logits, mu, logvar = v(v_file["x"], v_file["eps"])
    loss = vae_loss(logits, v_file["x"], mu, logvar)
    results.append(("vae logits", rel(logits, v_file["logits"])))
    results.append(("vae mu", rel(mu, v_file["mu"])))
    results.append(("vae loss", rel(loss.reshape(v_file["loss"].shape), v_file["loss"])))

    worst = max(r for _, r in results)
    for name, r in results:
        print(f"{name:22s} relative L2 error {r:.2e}")
    print("ok" if worst < 1e-4 else "MISMATCH")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
