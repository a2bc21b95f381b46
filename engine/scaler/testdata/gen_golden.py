"""Generate scaler goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

Re-expresses NeuralForecast's TemporalNorm statistics (_scalers.py:
masked mean/median via nanmean/nanmedian, eps 1e-6, MAD fallback to
std*0.6745) with torch ops on windows laid out [B, L] (dim=-1) and writes
scalers.json. CI never runs this.
"""
import json
import os

import torch

torch.manual_seed(0)
B, L = 6, 7
x = torch.randn(B, L) * 3 + 1
mask = torch.ones(B, L)
mask[1, -2:] = 0
x[1, -1] = float("nan")  # missing value under the mask
x[2] = 4.0  # constant window: std 0 -> 1, MAD 0 -> 1
x[3] = torch.tensor([5.0, 5, 5, 5, 1, 9, 5])  # MAD 0 -> std fallback
mask[4, 0] = 0  # even number of valid points: lower median
mask[5] = 0  # no valid point
EPS = 1e-6


def masked_mean(x, mask):
    xn = x.float().masked_fill(mask < 1, float("nan"))
    return torch.nan_to_num(xn.nanmean(dim=-1, keepdim=True), nan=0.0)


def masked_median(x, mask):
    xn = x.float().masked_fill(mask < 1, float("nan"))
    return torch.nan_to_num(xn.nanmedian(dim=-1, keepdim=True)[0], nan=0.0)


def std_stats(x, mask):
    m = masked_mean(x, mask)
    s = torch.sqrt(masked_mean((x - m) ** 2, mask))
    s[s == 0] = 1.0
    return m, s + EPS


def robust_stats(x, mask):
    med = masked_median(x, mask)
    mad = masked_median(torch.abs(x - med), mask)
    m = masked_mean(x, mask)
    s = torch.sqrt(masked_mean((x - m) ** 2, mask))
    mad = mad * (mad > 0) + s * 0.6744897501960817 * (mad == 0)
    mad[mad == 0] = 1.0
    return med, mad + EPS


def minmax_stats(x, mask):
    mk = mask.clone()
    mk[mk == 0] = torch.inf
    mk[mk == 1] = 0
    mx = torch.max(torch.nan_to_num(x - mk, nan=-torch.inf), dim=-1, keepdim=True)[0]
    mn = torch.min(torch.nan_to_num(x + mk, nan=torch.inf), dim=-1, keepdim=True)[0]
    r = mx - mn
    r[r == 0] = 1.0
    return mn, r + EPS


out = {"B": B, "L": L, "nan": torch.isnan(x).ravel().nonzero().ravel().tolist(),
       "x": torch.nan_to_num(x, nan=0.0).ravel().tolist(), "mask": mask.ravel().tolist(), "kinds": {}}
for name, fn in [("standard", std_stats), ("robust", robust_stats), ("minmax", minmax_stats), ("minmax1", minmax_stats)]:
    loc, scale = fn(x, mask)
    if name == "minmax1":
        z = ((x - loc) / scale) * 2 - 1
    else:
        z = (x - loc) / scale
    rows = list(range(B)) if name not in ("minmax", "minmax1") else list(range(B - 1))  # all-masked minmax is -inf in NF
    out["kinds"][name] = {"rows": rows, "loc": torch.nan_to_num(loc, posinf=0.0, neginf=0.0).ravel().tolist(),
                          "scale": torch.nan_to_num(scale, posinf=0.0, neginf=0.0).ravel().tolist(),
                          "z": torch.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0).ravel().tolist()}

# RevIN inverse with learnable affine (2 channels, row r is channel r % 2).
loc, scale = std_stats(x, mask)
w = torch.tensor([0.7, 1.3], requires_grad=True)
b = torch.tensor([0.1, -0.2], requires_grad=True)
zh = torch.randn(B, 3, requires_grad=True)
ch = torch.arange(B) % 2
shift = loc + b[ch].unsqueeze(-1)
sc = scale * (torch.relu(w[ch]).unsqueeze(-1) + EPS)
y = zh * sc + shift
r = torch.randn(B, 3)
(y * r).sum().backward()
out["revin"] = {"w": [0.7, 1.3], "b": [0.1, -0.2], "zhat": zh.detach().ravel().tolist(), "y": y.detach().ravel().tolist(),
                "r": r.ravel().tolist(), "grad_zhat": zh.grad.ravel().tolist(), "grad_w": w.grad.tolist(),
                "grad_b": b.grad.tolist()}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "scalers.json"), "w") as f:
    json.dump(out, f)
