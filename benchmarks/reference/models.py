"""The two models of DESIGN.md in PyTorch, step for step, with the golden README's parameter names
(so that a Genten checkpoint loads with load_state_dict)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    """z(100) -> fc -> bn0 -> lrelu -> 256x7x7 -> conv1 (ConvT 5x5 s1) -> bn1 -> lrelu
    -> conv2 (ConvT 5x5 s2) -> bn2 -> lrelu -> conv3 (ConvT 5x5 s2) -> tanh: 1x28x28."""

    def __init__(self, z_dim=100):
        super().__init__()
        self.fc = nn.Linear(z_dim, 7 * 7 * 256, bias=False)
        self.bn0 = nn.BatchNorm1d(7 * 7 * 256)
        self.conv1 = nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(128)
        self.conv2 = nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False)

    def forward(self, z):
        x = F.leaky_relu(self.bn0(self.fc(z)), 0.3).view(-1, 256, 7, 7)
        x = F.leaky_relu(self.bn1(self.conv1(x)), 0.3)
        x = F.leaky_relu(self.bn2(self.conv2(x)), 0.3)
        return torch.tanh(self.conv3(x))


class Discriminator(nn.Module):
    """conv1 (5x5 s2) -> lrelu -> dropout -> conv2 (5x5 s2) -> lrelu -> dropout -> fc: a logit."""

    def __init__(self, dropout=0.3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
        self.fc = nn.Linear(6272, 1)
        self.dropout = dropout

    def forward(self, x):
        x = F.dropout(F.leaky_relu(self.conv1(x), 0.3), self.dropout, self.training)
        x = F.dropout(F.leaky_relu(self.conv2(x), 0.3), self.dropout, self.training)
        return self.fc(x.flatten(1))


class ConvVAE(nn.Module):
    """Encoder enc1/bn1/enc2/bn2 -> mu, logvar (latent 32); decoder dec0 -> dec1/bn3 -> dec2/bn4 -> dec3 (logits)."""

    def __init__(self, latent=32):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 32, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.enc2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.mu = nn.Linear(3136, latent)
        self.logvar = nn.Linear(3136, latent)
        self.dec0 = nn.Linear(latent, 3136)
        self.dec1 = nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1)
        self.bn3 = nn.BatchNorm2d(64)
        self.dec2 = nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)
        self.bn4 = nn.BatchNorm2d(32)
        self.dec3 = nn.Conv2d(32, 1, 3, stride=1, padding=1)

    def encode(self, x):
        h = F.relu(self.bn1(self.enc1(x)))
        h = F.relu(self.bn2(self.enc2(h))).flatten(1)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        h = F.relu(self.dec0(z)).view(-1, 64, 7, 7)
        h = F.relu(self.bn3(self.dec1(h)))
        h = F.relu(self.bn4(self.dec2(h)))
        return self.dec3(h)

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.decode(z), mu, logvar


def vae_loss(logits, x, mu, logvar):
    """(BCE-with-logits summed over pixels + KL) / N, as the golden conv_vae file."""
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (rec + kl) / x.shape[0]
