"""Generate loss goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

NeuralForecast's loss formulas (neuralforecast/losses/pytorch.py) are
re-expressed here with plain torch ops; values and gradients w.r.t. the
prediction are written to losses.json next to this script. CI never runs it.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
rng = np.random.default_rng(7)
B, H = 3, 4


def weighted_mean(losses, weights):  # _weighted_mean with _divide_no_nan
    s = torch.sum(losses * weights)
    w = torch.sum(weights)
    return s / w if float(w) != 0 else s * 0


def nf_weighted_average(x, weights):  # weighted_average of DistributionLoss
    wt = torch.where(weights != 0, x * weights, torch.zeros_like(x))
    return wt.sum() / torch.clamp(weights.sum(), min=1.0)


def level_to_quantiles(level):
    qs = sorted(sum([[50 - l / 2, 50 + l / 2] for l in level], []))
    return torch.Tensor([50] + qs) / 100


cases = []


def add(name, param, k, fn, mask_kind, extra=None):
    y = torch.tensor(rng.standard_normal((B, H)).astype(np.float32))
    yhat = torch.tensor(rng.standard_normal((B, H, k)).astype(np.float32) * 1.5, requires_grad=True)
    if mask_kind == "none":
        mask = None
    elif mask_kind == "zeros":
        mask = torch.zeros(B, H)
    else:
        mask = torch.tensor((rng.random((B, H)) > 0.3).astype(np.float32))
        mask[0, 0] = 1.0
    loss = fn(y, yhat, mask, extra)
    loss.backward()
    cases.append({
        "name": name, "param": param, "outputs": k,
        "y": y.numpy().ravel().tolist(), "yhat": yhat.detach().numpy().ravel().tolist(),
        "mask": None if mask is None else mask.numpy().ravel().tolist(),
        "extra": None if extra is None else {k2: v.detach().numpy().ravel().tolist() for k2, v in extra.items()},
        "extra_grad": None if extra is None else {k2: v.grad.numpy().ravel().tolist() for k2, v in extra.items()},
        # RMSE under an all-zero mask has a NaN gradient in torch (√0); streamcast
        # returns 0 there, which is what the NaN is replaced by.
        "loss": float(loss), "grad": torch.nan_to_num(yhat.grad, nan=0.0).numpy().ravel().tolist(),
    })


def ones(y, mask):
    return torch.ones_like(y) if mask is None else mask


def mae(y, yh, mask, _):
    return weighted_mean(torch.abs(y - yh[..., 0]), ones(y, mask))


def mse(y, yh, mask, _):
    return weighted_mean((y - yh[..., 0]) ** 2, ones(y, mask))


def rmse(y, yh, mask, _):
    return torch.sqrt(weighted_mean((y - yh[..., 0]) ** 2, ones(y, mask)))


def huber(delta):
    return lambda y, yh, mask, _: weighted_mean(F.huber_loss(y, yh[..., 0], reduction="none", delta=delta), ones(y, mask))


def quantile(q):
    def f(y, yh, mask, _):
        d = y - yh[..., 0]
        return weighted_mean(torch.max(torch.mul(q, d), torch.mul(q - 1, d)), ones(y, mask))
    return f


def mqloss(qs):
    def f(y, yh, mask, _):
        error = yh - y.unsqueeze(-1)
        sq = torch.maximum(-error, torch.zeros_like(error))
        s1q = torch.maximum(error, torch.zeros_like(error))
        losses = (1 / len(qs)) * (qs * sq + (1 - qs) * s1q)
        losses = losses.swapaxes(-2, -1)  # [B,Q,H]
        m = torch.ones_like(losses) if mask is None else torch.ones_like(losses) * mask.unsqueeze(1)
        return weighted_mean(losses, m)
    return f


for mk in ["none", "random", "zeros"]:
    add("MAE", 0, 1, mae, mk)
    add("MSE", 0, 1, mse, mk)
    add("RMSE", 0, 1, rmse, mk)
    add("HuberLoss", 1.0, 1, huber(1.0), mk)
    add("HuberLoss", 0.5, 1, huber(0.5), mk)
    add("QuantileLoss", 0.1, 1, quantile(0.1), mk)
    add("QuantileLoss", 0.75, 1, quantile(0.75), mk)
    add("MQLoss", [80, 90], 5, mqloss(level_to_quantiles([80, 90])), mk)
    add("MQLoss", [50], 3, mqloss(level_to_quantiles([50])), mk)


# Distribution losses: NLL on the original scale after NeuralForecast's
# domain map and scale decouple with per-window loc/scale.
def normal_nll(y, yh, mask, extra):
    loc, scale = extra["loc"].view(B, 1), extra["scale"].view(B, 1)
    mean, std = yh[..., 0], yh[..., 1]
    std = F.softplus(std)
    mean = mean * scale + loc
    std = (std + 0.2) * scale
    nll = -torch.distributions.Normal(mean, std).log_prob(y)
    return nf_weighted_average(nll, ones(y, mask))


def student_nll(y, yh, mask, extra):
    loc, scale = extra["loc"].view(B, 1), extra["scale"].view(B, 1)
    df, mean, tscale = yh[..., 0], yh[..., 1], yh[..., 2]
    tscale = F.softplus(tscale)
    mean = mean * scale + loc
    tscale = (tscale + 0.1) * scale
    df = 2.0 + F.softplus(df)
    nll = -torch.distributions.StudentT(df, mean, tscale).log_prob(y)
    return nf_weighted_average(nll, ones(y, mask))


for mk in ["none", "random", "zeros"]:
    ex = {"loc": torch.tensor(rng.standard_normal(B).astype(np.float32) * 0.3, requires_grad=True),
          "scale": torch.tensor((0.5 + rng.random(B)).astype(np.float32), requires_grad=True)}
    add("Normal", 0, 2, normal_nll, mk, ex)
    ex = {"loc": torch.tensor(rng.standard_normal(B).astype(np.float32) * 0.3, requires_grad=True),
          "scale": torch.tensor((0.5 + rng.random(B)).astype(np.float32), requires_grad=True)}
    add("StudentT", 0, 3, student_nll, mk, ex)

# Predictive quantiles of the decoupled distributions (exact inverse CDF).
pred = {}
p = torch.tensor([[0.3, -0.7], [-1.2, 2.0]])  # two points: raw (mean, std)
loc, scale = torch.tensor([0.5, -1.0]), torch.tensor([2.0, 0.5])
mean = p[:, 0] * scale + loc
std = (F.softplus(p[:, 1]) + 0.2) * scale
qs = level_to_quantiles([80, 90])
pred["normal"] = {"raw": p.numpy().ravel().tolist(), "loc": loc.tolist(), "scale": scale.tolist(),
                  "mean": mean.tolist(), "std": std.tolist(),
                  "quantiles": [[float(torch.distributions.Normal(mean[i].double(), std[i].double()).icdf(q.double())) for q in qs] for i in range(2)]}
ps = torch.tensor([[0.1, 0.3, -0.7], [-3.0, -1.2, 2.0]])
df = 2.0 + F.softplus(ps[:, 0])
tmean = ps[:, 1] * scale + loc
tscale = (F.softplus(ps[:, 2]) + 0.1) * scale
pred["studentt"] = {"raw": ps.numpy().ravel().tolist(), "loc": loc.tolist(), "scale": scale.tolist(),
                    "df": df.tolist(), "mean": tmean.tolist(), "tscale": tscale.tolist()}

# MAPE and SMAPE (with exact zeros in y and in y/ŷ pairs for _divide_no_nan).
def divide_no_nan(a, b):
    div = a / b
    div = torch.where(div != div, torch.zeros_like(div), div)
    return torch.where(div == float("inf"), torch.zeros_like(div), div)


def mape(y, yh, mask, _):
    scale = divide_no_nan(torch.ones_like(y), torch.abs(y))
    return weighted_mean(torch.abs(y - yh[..., 0]) * scale, ones(y, mask))


def smape(y, yh, mask, _):
    d = torch.abs(y - yh[..., 0])
    return 2 * weighted_mean(divide_no_nan(d, torch.abs(y) + torch.abs(yh[..., 0])), ones(y, mask))


pct = []
for name, fn in [("MAPE", mape), ("SMAPE", smape)]:
    for mk in ["none", "random"]:
        y = torch.tensor(rng.standard_normal((B, H)).astype(np.float32))
        yhat = torch.tensor(rng.standard_normal((B, H, 1)).astype(np.float32), requires_grad=True)
        y[0, 1] = 0.0
        y[1, 2] = 0.0
        with torch.no_grad():
            yhat[1, 2, 0] = 0.0  # 0/0 for SMAPE
        mask = None if mk == "none" else torch.tensor((rng.random((B, H)) > 0.3).astype(np.float32))
        loss = fn(y, yhat, mask, None)
        loss.backward()
        pct.append({"name": name, "param": 0, "outputs": 1, "y": y.numpy().ravel().tolist(),
                    "yhat": yhat.detach().numpy().ravel().tolist(),
                    "mask": None if mask is None else mask.numpy().ravel().tolist(), "extra": None,
                    "loss": float(loss), "grad": torch.nan_to_num(yhat.grad, nan=0.0).numpy().ravel().tolist()})

# Horizon-weighted MAE and MQLoss (horizon_weight of BasePointLoss / MQLoss).
hw = torch.tensor([1.0, 0.5, 2.0, 0.0])
horizon = []
for name in ["MAE", "MQLoss"]:
    y = torch.tensor(rng.standard_normal((B, H)).astype(np.float32))
    k = 1 if name == "MAE" else 5
    yhat = torch.tensor(rng.standard_normal((B, H, k)).astype(np.float32), requires_grad=True)
    mask = torch.tensor((rng.random((B, H)) > 0.3).astype(np.float32))
    if name == "MAE":
        w = torch.ones_like(mask) * hw * mask
        loss = weighted_mean(torch.abs(y - yhat[..., 0]), w)
    else:
        qs = level_to_quantiles([80, 90])
        error = yhat - y.unsqueeze(-1)
        losses = (1 / len(qs)) * (qs * torch.clamp(-error, min=0) + (1 - qs) * torch.clamp(error, min=0))
        losses = losses.swapaxes(-2, -1)
        w = torch.ones_like(losses) * hw * mask.unsqueeze(1)
        loss = weighted_mean(losses, w)
    loss.backward()
    horizon.append({"name": name, "weights": hw.tolist(), "y": y.numpy().ravel().tolist(),
                    "yhat": yhat.detach().numpy().ravel().tolist(), "mask": mask.numpy().ravel().tolist(),
                    "loss": float(loss), "grad": yhat.grad.numpy().ravel().tolist()})

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses.json"), "w") as f:
    json.dump({"cases": cases + pct, "predict": pred, "horizon": horizon}, f)
