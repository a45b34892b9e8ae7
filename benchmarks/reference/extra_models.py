"""The extra models of issue 12 in PyTorch, with Genten's state_dict names, so that a checkpoint
of `genten train mlpgan|lsgan|vae2d|cgan` loads with load_state_dict (check_interop.py). Written
from io.genten.models.MlpGan, DenseVae and ConditionalDcgan. Run with PyTorch 1.13.1 (Debian's
python3-torch, CPU) on 2026-12-01: check_interop.py loaded a checkpoint of each model, and
extra_golden.py wrote the golden files of ExtraGoldenTest from these modules."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class _Mlp(nn.Module):
    """fc1 -> ReLU (-> bn1) -> fc2 -> ReLU (-> bn2) ... -> fc<k+1>: Genten's MlpGan blocks (normalize after
    the activation; LeakyReLU(leak) instead of ReLU when leak > 0)."""

    def __init__(self, sizes, out, batch_norm, leak=0.0):
        super().__init__()
        self.depth = len(sizes) - 1
        self.batch_norm = batch_norm
        self.leak = leak
        for k in range(1, len(sizes)):
            setattr(self, f"fc{k}", nn.Linear(sizes[k - 1], sizes[k]))
            if batch_norm:
                setattr(self, f"bn{k}", nn.BatchNorm1d(sizes[k]))
        setattr(self, f"fc{len(sizes)}", nn.Linear(sizes[-1], out))

    def forward(self, x):
        for k in range(1, self.depth + 1):
            x = getattr(self, f"fc{k}")(x)
            x = F.leaky_relu(x, self.leak) if self.leak > 0 else F.relu(x)
            if self.batch_norm:
                x = getattr(self, f"bn{k}")(x)
        return getattr(self, f"fc{self.depth + 1}")(x)


class MlpGenerator(_Mlp):
    """z -> the blocks -> fc -> 1x28x28 -> sigmoid (mlpgan) or tanh (lsgan)."""

    def __init__(self, latent=100, hidden=(128,), batch_norm=False, tanh=False):
        super().__init__((latent,) + tuple(hidden), 784, batch_norm)
        self.tanh = tanh

    def forward(self, z):
        x = super().forward(z).view(-1, 1, 28, 28)
        return torch.tanh(x) if self.tanh else torch.sigmoid(x)


class MlpDiscriminator(_Mlp):
    """image -> flatten -> the blocks -> fc: one raw output (a logit for BCE, a score for LSGAN)."""

    def __init__(self, hidden=(128,), batch_norm=False, leak=0.0):
        super().__init__((784,) + tuple(hidden), 1, batch_norm, leak)

    def forward(self, x):
        return super().forward(x.flatten(1))


class MlpGan(nn.Module):
    """mlpgan: MlpGan(); lsgan: MlpGan.deep() (G with batch norm; D LeakyReLU(0.2) and no batch norm, as
    Genten's: the sketch's D with ReLU + BatchNorm1d does not train). Losses: lsgan_losses. A D with
    batch norm (d_batch_norm=True) must see torch.cat([real, fake]) in one batch, as Genten's trainer
    does: on separate batches its batch-mean output is the same for real and fake."""

    def __init__(self, latent=100, g_hidden=(128,), d_hidden=(128,), batch_norm=False, tanh=False, d_leak=0.0,
                 d_batch_norm=False):
        super().__init__()
        self.generator = MlpGenerator(latent, g_hidden, batch_norm, tanh)
        self.discriminator = MlpDiscriminator(d_hidden, d_batch_norm, d_leak)

    @staticmethod
    def deep():
        return MlpGan(100, (128, 256, 512, 1024), (1024, 512, 256), batch_norm=True, tanh=True, d_leak=0.2)


def lsgan_losses(d_real, d_fake_for_d, d_fake_for_g):
    """D: 0.5 E[(D(x)-1)^2] + 0.5 E[D(G(z))^2]; G: 0.5 E[(D(G(z))-1)^2] (the standard form, not the sketch's target 0)."""
    d = 0.5 * F.mse_loss(d_real, torch.ones_like(d_real)) + 0.5 * F.mse_loss(d_fake_for_d, torch.zeros_like(d_fake_for_d))
    g = 0.5 * F.mse_loss(d_fake_for_g, torch.ones_like(d_fake_for_g))
    return d, g


class DenseVAE(nn.Module):
    """vae2d: fc1 784->16 -> ReLU -> mu, logvar (2); dec 2->784 (logits)."""

    def __init__(self, hidden=16, latent=2):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, 784)

    def encode(self, x):
        h = F.relu(self.fc1(x.flatten(1)))
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.dec(z).view(-1, 1, 28, 28)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        return self.decode(mu + torch.exp(0.5 * logvar) * eps), mu, logvar


def dense_vae_loss(logits, x, mu, logvar, recon="bce"):
    """(reconstruction summed over pixels + KL) / N; mse is the squared error of sigmoid(logits)."""
    if recon == "bce":
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    else:
        rec = F.mse_loss(torch.sigmoid(logits), x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (rec + kl) / x.shape[0]


class CondGenerator(nn.Module):
    """concat(z, one_hot(label)) -> fc (no bias) -> bn0 -> lrelu -> c0x7x7 -> conv1 (ConvT 5x5 s1) -> bn1 -> lrelu
    -> conv2 (ConvT s2) -> bn2 -> lrelu -> conv3 (ConvT s2) -> tanh."""

    def __init__(self, latent=100, c0=128, c1=64, c2=32):
        super().__init__()
        self.c0 = c0
        self.fc = nn.Linear(latent + 10, 7 * 7 * c0, bias=False)
        self.bn0 = nn.BatchNorm1d(7 * 7 * c0)
        self.conv1 = nn.ConvTranspose2d(c0, c1, 5, stride=1, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.ConvTranspose2d(c1, c2, 5, stride=2, padding=2, output_padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.conv3 = nn.ConvTranspose2d(c2, 1, 5, stride=2, padding=2, output_padding=1, bias=False)

    def forward(self, z, labels):
        x = torch.cat([z, F.one_hot(labels, 10).to(z.dtype)], dim=1)
        x = F.leaky_relu(self.bn0(self.fc(x)), 0.3).view(-1, self.c0, 7, 7)
        x = F.leaky_relu(self.bn1(self.conv1(x)), 0.3)
        x = F.leaky_relu(self.bn2(self.conv2(x)), 0.3)
        return torch.tanh(self.conv3(x))


class CondDiscriminator(nn.Module):
    """concat(image, 10 label planes) -> conv1 (11->d1, 5x5 s2) -> lrelu -> dropout -> conv2 (s2) -> lrelu -> dropout -> fc."""

    def __init__(self, d1=32, d2=64, dropout=0.3):
        super().__init__()
        self.conv1 = nn.Conv2d(11, d1, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(d1, d2, 5, stride=2, padding=2)
        self.fc = nn.Linear(7 * 7 * d2, 1)
        self.dropout = dropout

    def forward(self, x, labels):
        planes = F.one_hot(labels, 10).to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        x = torch.cat([x, planes], dim=1)
        x = F.dropout(F.leaky_relu(self.conv1(x), 0.3), self.dropout, self.training)
        x = F.dropout(F.leaky_relu(self.conv2(x), 0.3), self.dropout, self.training)
        return self.fc(x.flatten(1))


class ConditionalDCGAN(nn.Module):
    def __init__(self):
        super().__init__()
        self.generator = CondGenerator()
        self.discriminator = CondDiscriminator()
