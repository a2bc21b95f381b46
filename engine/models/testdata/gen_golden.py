#!/usr/bin/python3
"""PyTorch 1.13 reference forward passes of NeuralForecast's NHITS, NBEATS and
NBEATSx for the Go golden tests (engine/models/{nhits,nbeats,nbeatsx}).

Run from this directory with the system python that has torch installed:

    /usr/bin/python3 gen_golden.py

The modules below are a small re-statement of NeuralForecast 3.2's
architectures (neuralforecast/models/nhits.py, nbeats.py, nbeatsx.py) in
plain torch, written for this test: the block MLP's exact nn.Sequential
layout (first Linear without activation, one shared activation module,
Dropout after each activation), the time-reversed residual, the Naive1 level,
pooling in ceil mode, F.interpolate of the knots, the trend/seasonality
templates, the exogenous basis, and the [B, h, K] output with K channels.
Weights take PyTorch's default initialisation under a fixed seed; the model is
then evaluated in float64 (weights and inputs are float32 values), so the
reference is exact to well below float32 rounding. The file holds, per case,
the hyper-parameters (streamcast's JSON), every trainable tensor by its
state_dict name, the inputs and the output; and the trainable parameter
counts of the default architectures.
"""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20241127)
GEN = torch.Generator().manual_seed(7)

ACTS = {
    "ReLU": nn.ReLU, "Softplus": nn.Softplus, "Tanh": nn.Tanh, "SELU": nn.SELU,
    "LeakyReLU": nn.LeakyReLU, "PReLU": nn.PReLU, "Sigmoid": nn.Sigmoid,
}


def block_mlp(in_features, units, n_theta, activation, dropout):
    act = ACTS[activation]()
    layers = [nn.Linear(in_features, units[0][0])]
    for u in units:
        layers += [nn.Linear(u[0], u[1]), act]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(units[-1][1], n_theta))
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- NHITS


class NHITSBlock(nn.Module):
    def __init__(self, L, h, k, n_knots, K, units, act, dropout, pooling, interp, nf, nx, ns):
        super().__init__()
        ph, pf = int(np.ceil(L / k)), int(np.ceil((L + h) / k))
        self.L, self.h, self.K, self.interp = L, h, K, interp
        self.nf, self.nx, self.ns = nf, nx, ns
        self.pool = getattr(nn, pooling)(kernel_size=k, stride=k, ceil_mode=True)
        self.layers = block_mlp(ph + nx * ph + nf * pf + ns, units, L + K * n_knots, act, dropout)

    def forward(self, r, futr, hist, stat):
        b = len(r)
        x = self.pool(r.unsqueeze(1)).squeeze(1)
        if self.nx > 0:
            x = torch.cat((x, self.pool(hist.permute(0, 2, 1)).permute(0, 2, 1).reshape(b, -1)), 1)
        if self.nf > 0:
            x = torch.cat((x, self.pool(futr.permute(0, 2, 1)).permute(0, 2, 1).reshape(b, -1)), 1)
        if self.ns > 0:
            x = torch.cat((x, stat.reshape(b, -1)), 1)
        theta = self.layers(x)
        back, knots = theta[:, :self.L], theta[:, self.L:]
        knots = knots.reshape(b, self.K, -1)
        fore = F.interpolate(knots, size=self.h, mode=self.interp).permute(0, 2, 1)
        return back, fore


class NHITS(nn.Module):
    def __init__(self, L, h, K=1, n_blocks=(1, 1, 1), units=3 * [[512, 512]], pool=(2, 2, 1),
                 down=(4, 2, 1), pooling="MaxPool1d", interp="linear", act="ReLU", dropout=0.0,
                 nf=0, nx=0, ns=0):
        super().__init__()
        self.h = h
        blocks = []
        for i in range(len(n_blocks)):
            for _ in range(n_blocks[i]):
                blocks.append(NHITSBlock(L, h, pool[i], max(h // down[i], 1), K, units, act, dropout,
                                         pooling, interp, nf, nx, ns))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, y, futr=None, hist=None, stat=None):
        r = y.flip(dims=(-1,))
        f = y[:, -1:, None]
        for blk in self.blocks:
            back, bf = blk(r, futr, hist, stat)
            r = r - back
            f = f + bf
        return f


# ---------------------------------------------------------------- NBEATS(x)


def linspace(a, b, n):
    return np.linspace(a, b, n)


def trend_functions(length, nb, basis):
    """NeuralForecast's get_basis(length, n_basis, basis) with nb = n_basis+1, [length, nb]."""
    if basis == "polynomial":
        return np.concatenate([np.power(np.arange(length, dtype=float) / length, i)[None, :] for i in range(nb)]).T
    if basis in ("legendre", "chebyshev"):
        x = linspace(-1, 1, length)
        cls = np.polynomial.legendre.Legendre if basis == "legendre" else np.polynomial.chebyshev.Chebyshev
        return np.stack([cls.basis(i)(x) for i in range(nb)], axis=1)
    if basis == "changepoint":
        x = linspace(0, 1, length)[:, None]
        return np.maximum(0, x - linspace(0, 1, nb + 1)[1:][None, :])
    if basis == "piecewise_linear":
        x, k = linspace(0, 1, length), linspace(0, 1, nb + 1)
        out = np.zeros((length, nb))
        for i in range(1, nb):
            out[:, i] = np.maximum(0, np.minimum((x - k[i - 1]) / (k[i] - k[i - 1]), (k[i + 1] - x) / (k[i + 1] - k[i])))
        return out
    if basis == "linear_hat":
        x, c = linspace(0, 1, length)[:, None], linspace(0, 1, nb)[None, :]
        return np.maximum(0, 1 - np.abs(x - c) / (1.0 / (nb - 1)))
    raise ValueError(basis)


class TrendBasis(nn.Module):
    def __init__(self, n, L, h, basis):
        super().__init__()
        self.backcast_basis = nn.Parameter(torch.tensor(trend_functions(L, n + 1, basis).T, dtype=torch.float32), requires_grad=False)
        self.forecast_basis = nn.Parameter(torch.tensor(trend_functions(h, n + 1, basis).T, dtype=torch.float32), requires_grad=False)

    def forward(self, theta):
        p = self.forecast_basis.shape[0]
        bt, ft = theta[:, :p], theta[:, p:].reshape(len(theta), p, -1)
        return torch.einsum("bp,pt->bt", bt, self.backcast_basis), torch.einsum("bpq,pt->btq", ft, self.forecast_basis)


class SeasonalityBasis(nn.Module):
    def __init__(self, nh, L, h):
        super().__init__()
        freq = np.append(np.zeros(1), np.arange(nh, nh / 2 * h, dtype=float) / nh)[None, :]
        bg = -2 * np.pi * (np.arange(L, dtype=float)[:, None] / h) * freq
        fg = 2 * np.pi * (np.arange(h, dtype=float)[:, None] / h) * freq
        tmpl = lambda g: torch.cat([torch.tensor(np.cos(g).T, dtype=torch.float32), torch.tensor(np.sin(g).T, dtype=torch.float32)], 0)
        self.backcast_basis = nn.Parameter(tmpl(bg), requires_grad=False)
        self.forecast_basis = nn.Parameter(tmpl(fg), requires_grad=False)

    def forward(self, theta):
        p = self.forecast_basis.shape[0]
        bt, ft = theta[:, :p], theta[:, p:].reshape(len(theta), p, -1)
        return torch.einsum("bp,pt->bt", bt, self.backcast_basis), torch.einsum("bpq,pt->btq", ft, self.forecast_basis)


class IdentityBasis(nn.Module):
    def __init__(self, L, K):
        super().__init__()
        self.L, self.K = L, K

    def forward(self, theta):
        return theta[:, :self.L], theta[:, self.L:].reshape(len(theta), -1, self.K)


class ExogenousBasis(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.h = h

    def forward(self, theta, z):
        zb, zf = z[:, :-self.h, :].permute(0, 2, 1), z[:, -self.h:, :].permute(0, 2, 1)
        c = zf.shape[1]
        return torch.einsum("bp,bpt->bt", theta[:, c:], zb), torch.einsum("bpq,bpt->btq", theta[:, :c].reshape(len(theta), c, -1), zf)


class NBEATSBlock(nn.Module):
    def __init__(self, L, h, n_theta, units, basis, act, dropout, nf, nx, ns):
        super().__init__()
        self.L, self.h, self.nf, self.nx, self.ns = L, h, nf, nx, ns
        self.layers = block_mlp(L + nx * L + nf * (L + h) + ns, units, n_theta, act, dropout)
        self.basis = basis

    def forward(self, r, futr, hist, stat):
        b = len(r)
        x = r
        if self.nx > 0:
            x = torch.cat((x, hist.reshape(b, -1)), 1)
        if self.nf > 0:
            x = torch.cat((x, futr.reshape(b, -1)), 1)
        if self.ns > 0:
            x = torch.cat((x, stat.reshape(b, -1)), 1)
        theta = self.layers(x)
        if isinstance(self.basis, ExogenousBasis):
            parts = []
            if self.nf > 0:
                parts.append(futr)
            if self.ns > 0:
                parts.append(stat.unsqueeze(1).expand(-1, self.L + self.h, -1))
            return self.basis(theta, torch.cat(parts, 2))
        return self.basis(theta)


class NBEATS(nn.Module):
    def __init__(self, L, h, K=1, stacks=("identity", "trend", "seasonality"), n_blocks=(1, 1, 1),
                 units=3 * [[512, 512]], nh=2, n_trend=2, trend="polynomial", act="ReLU", dropout=0.0,
                 shared=False, nf=0, nx=0, ns=0):
        super().__init__()
        blocks = []
        for i, s in enumerate(stacks):
            for j in range(n_blocks[i]):
                if shared and j > 0:
                    blocks.append(blocks[-1])
                    continue
                if s == "seasonality":
                    n_theta = 2 * (K + 1) * int(np.ceil(nh / 2 * h) - (nh - 1))
                    basis = SeasonalityBasis(nh, L, h)
                elif s == "trend":
                    n_theta = (K + 1) * (n_trend + 1)
                    basis = TrendBasis(n_trend, L, h, trend)
                elif s == "identity":
                    n_theta = L + K * h
                    basis = IdentityBasis(L, K)
                else:
                    n_theta = 2 * (nf + ns)
                    basis = ExogenousBasis(h)
                blocks.append(NBEATSBlock(L, h, n_theta, units, basis, act, dropout, nf, nx, ns))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, y, futr=None, hist=None, stat=None):
        r = y.flip(dims=(-1,))
        f = y[:, -1:, None]
        for blk in self.blocks:
            back, bf = blk(r, futr, hist, stat)
            r = r - back
            f = f + bf
        return f


# ---------------------------------------------------------------- cases


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tens(t):
    return {"shape": list(t.shape), "data": flat(t)}


def randn(*shape):
    return torch.randn(*shape, generator=GEN, dtype=torch.float32)


def trainable(model):
    return {n: tens(p) for n, p in model.named_parameters() if p.requires_grad}


def case(name, kind, hyper, model, K, B, L, h, nf=0, nx=0, ns=0):
    model.eval()
    state = trainable(model)
    y = randn(B, L)
    futr = randn(B, L + h, nf) if nf else None
    hist = randn(B, L, nx) if nx else None
    stat = randn(B, ns) if ns else None
    m64 = model.double()
    d = lambda t: None if t is None else t.double()
    with torch.no_grad():
        out = m64(d(y), d(futr), d(hist), d(stat))
    assert list(out.shape) == [B, h, K], out.shape
    inputs = {"y": tens(y)}
    for k, v in (("futr", futr), ("hist", hist), ("stat", stat)):
        if v is not None:
            inputs[k] = tens(v)
    return {"name": name, "kind": kind, "hyper": hyper, "outputs": K, "state": state,
            "inputs": inputs, "out": tens(out.reshape(B, h * K))}


def count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


MQ80 = {"name": "MQLoss", "level": [80]}  # quantiles 0.1, 0.5, 0.9: K = 3
U8 = [[8, 8], [8, 8]]

nhits_cases = [
    case("nhits-small", "nhits", {"input_size": 12, "h": 6, "mlp_units": U8}, NHITS(12, 6, units=U8), 1, 3, 12, 6),
    case("nhits-exog-mq-avg-prelu-dropout", "nhits",
         {"input_size": 10, "h": 5, "mlp_units": U8, "n_blocks": [1, 2, 1], "n_pool_kernel_size": [3, 2, 1],
          "n_freq_downsample": [5, 2, 1], "pooling_mode": "AvgPool1d", "activation": "PReLU", "dropout_prob_theta": 0.3,
          "futr_exog_list": ["f1", "f2"], "hist_exog_list": ["x1"], "stat_exog_list": ["s1", "s2"], "loss": MQ80},
         NHITS(10, 5, K=3, n_blocks=(1, 2, 1), units=U8, pool=(3, 2, 1), down=(5, 2, 1), pooling="AvgPool1d",
               act="PReLU", dropout=0.3, nf=2, nx=1, ns=2), 3, 2, 10, 5, nf=2, nx=1, ns=2),
    case("nhits-nearest-tanh", "nhits",
         {"input_size": 9, "h": 7, "mlp_units": U8, "n_freq_downsample": [3, 2, 1], "interpolation_mode": "nearest",
          "activation": "Tanh"},
         NHITS(9, 7, units=U8, down=(3, 2, 1), interp="nearest", act="Tanh"), 1, 2, 9, 7),
]

nbeats_cases = [
    case("nbeats-small", "nbeats", {"input_size": 12, "h": 6, "mlp_units": U8}, NBEATS(12, 6, units=U8), 1, 3, 12, 6),
    case("nbeats-mq-legendre-shared-softplus", "nbeats",
         {"input_size": 10, "h": 5, "mlp_units": U8, "n_blocks": [2, 1, 2], "shared_weights": True, "basis": "legendre",
          "n_basis": 3, "n_harmonics": 3, "activation": "Softplus", "loss": MQ80},
         NBEATS(10, 5, K=3, n_blocks=(2, 1, 2), units=U8, nh=3, n_trend=3, trend="legendre", act="Softplus", shared=True),
         3, 2, 10, 5),
]
for i, basis in enumerate(["changepoint", "piecewise_linear", "linear_hat", "chebyshev"]):
    act = ["Sigmoid", "ReLU", "LeakyReLU", "SELU"][i]
    nbeats_cases.append(case(
        f"nbeats-{basis}-{act}", "nbeats",
        {"input_size": 8, "h": 4, "mlp_units": [[6, 6]], "stack_types": ["trend"], "n_blocks": [1], "basis": basis,
         "n_basis": 4, "activation": act},
        NBEATS(8, 4, stacks=("trend",), n_blocks=(1,), units=[[6, 6]], n_trend=4, trend=basis, act=act), 1, 2, 8, 4))

nbeatsx_cases = [
    case("nbeatsx-exog-selu", "nbeatsx",
         {"input_size": 10, "h": 6, "mlp_units": U8, "stack_types": ["identity", "exogenous", "trend", "seasonality"],
          "n_blocks": [1, 2, 1, 1], "activation": "SELU", "dropout_prob_theta": 0.2,
          "futr_exog_list": ["f1", "f2"], "hist_exog_list": ["x1"], "stat_exog_list": ["s1"]},
         NBEATS(10, 6, stacks=("identity", "exogenous", "trend", "seasonality"), n_blocks=(1, 2, 1, 1), units=U8,
                act="SELU", dropout=0.2, nf=2, nx=1, ns=1), 1, 3, 10, 6, nf=2, nx=1, ns=1),
    case("nbeatsx-stat-mq-leaky", "nbeatsx",
         {"input_size": 8, "h": 5, "mlp_units": U8, "stack_types": ["exogenous", "identity"], "n_blocks": [1, 1],
          "activation": "LeakyReLU", "stat_exog_list": ["s1", "s2"], "loss": MQ80},
         NBEATS(8, 5, K=3, stacks=("exogenous", "identity"), n_blocks=(1, 1), units=U8, act="LeakyReLU", ns=2),
         3, 2, 8, 5, ns=2),
]

counts = {
    "nhits": count(NHITS(96, 48)),
    "nbeats": count(NBEATS(96, 48)),
    "nbeatsx": count(NBEATS(96, 48, nf=2, nx=1, ns=1)),
    "nbeatsx_hyper": {"input_size": 96, "h": 48, "futr_exog_list": ["a", "b"], "hist_exog_list": ["c"], "stat_exog_list": ["d"]},
}

for name, cases in (("nhits", nhits_cases), ("nbeats", nbeats_cases), ("nbeatsx", nbeatsx_cases)):
    with open(f"{name}.json", "w") as f:
        json.dump({"default_params_96_48": counts[name], "counts_hyper": counts.get(name + "_hyper"), "cases": cases}, f)
    print(name, len(cases), "cases, default parameters", counts[name])
