"""Generate RLinear goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

RLinear (plumprc/RTSF models/RLinear.py, individual=False) on one channel,
written out in torch: RevIN with affine (mean and population variance over
time, eps 1e-5, statistics detached), dropout (p = 0 here, so the golden is
deterministic), nn.Linear(L, h*K), RevIN inverse ((y - b)/(w + eps^2) *
stdev + mean). The affine parameters are set away from their initial
values (w = 1.3, b = -0.2) so that their gradients are exercised. For each
case: the state_dict (Linear.weight, Linear.bias, rev.affine_weight,
rev.affine_bias), an input batch x [B, L], the output [B, h*K], a random
projection r and the gradients of sum(r*out) with respect to x and every
parameter. CI never runs this.
"""
import json
import os

import torch

torch.manual_seed(13)
EPS = 1e-5


class RevIN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.affine_weight = torch.nn.Parameter(torch.ones(1))
        self.affine_bias = torch.nn.Parameter(torch.zeros(1))

    def norm(self, x):  # x [B, L]
        self.mean = x.mean(dim=1, keepdim=True).detach()
        self.stdev = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + EPS).detach()
        return (x - self.mean) / self.stdev * self.affine_weight + self.affine_bias

    def denorm(self, y):
        y = (y - self.affine_bias) / (self.affine_weight + EPS * EPS)
        return y * self.stdev + self.mean


class RLinear(torch.nn.Module):
    def __init__(self, L, out):
        super().__init__()
        self.Linear = torch.nn.Linear(L, out)
        self.dropout = torch.nn.Dropout(0.0)
        self.rev = RevIN()

    def forward(self, x):
        return self.rev.denorm(self.Linear(self.dropout(self.rev.norm(x))))


cases = []
for name, B, L, h, K in [("L12_h4", 3, 12, 4, 1), ("L9_h3_K3", 2, 9, 3, 3)]:
    m = RLinear(L, h * K).double()
    with torch.no_grad():
        m.rev.affine_weight.fill_(1.3)
        m.rev.affine_bias.fill_(-0.2)
    x = (torch.randn(B, L, dtype=torch.float64) * 3 + 10).requires_grad_(True)
    out = m(x)
    r = torch.randn(out.shape, dtype=torch.float64)
    (out * r).sum().backward()
    cases.append({
        "name": name, "input_size": L, "h": h, "outputs": K, "batch": B,
        "state_dict": {k: v.detach().numpy().ravel().tolist() for k, v in m.state_dict().items()},
        "x": x.detach().numpy().ravel().tolist(),
        "out": out.detach().numpy().ravel().tolist(),
        "r": r.numpy().ravel().tolist(),
        "grad_x": x.grad.numpy().ravel().tolist(),
        "grads": {k: p.grad.numpy().ravel().tolist() for k, p in m.named_parameters()},
    })

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
