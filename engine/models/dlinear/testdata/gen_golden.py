"""Generate DLinear goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

NeuralForecast's DLinear forward, written out in torch: trend = moving
average of window k over the input padded at both ends by repeating its
first and last value (k-1)/2 times (torch.cat + nn.AvgPool1d(k, stride=1)),
seasonal = x - trend, out = linear_trend(trend) + linear_season(seasonal).
For each case: the state_dict, an input batch x [B, L], the trend, the
output [B, h*K], a random projection r and the gradients of sum(r*out) with
respect to x and every parameter. CI never runs this.
"""
import json
import os

import torch

torch.manual_seed(12)


class DLinear(torch.nn.Module):
    def __init__(self, L, out, k):
        super().__init__()
        self.k = k
        self.avg = torch.nn.AvgPool1d(kernel_size=k, stride=1, padding=0)
        self.linear_trend = torch.nn.Linear(L, out)
        self.linear_season = torch.nn.Linear(L, out)

    def decomp(self, x):
        p = (self.k - 1) // 2
        front = x[:, 0:1].repeat(1, p)
        end = x[:, -1:].repeat(1, p)
        padded = torch.cat([front, x, end], dim=1)
        trend = self.avg(padded.unsqueeze(1)).squeeze(1)
        return x - trend, trend

    def forward(self, x):
        seasonal, trend = self.decomp(x)
        return self.linear_trend(trend) + self.linear_season(seasonal), trend


cases = []
for name, B, L, h, K, k in [("L30_h4_k25", 3, 30, 4, 1, 25), ("L7_h3_k25", 2, 7, 3, 1, 25),
                            ("L10_h2_k5_K3", 2, 10, 2, 3, 5), ("L6_h2_k1", 2, 6, 2, 1, 1)]:
    m = DLinear(L, h * K, k).double()
    x = (torch.randn(B, L, dtype=torch.float64) * 2 + 3).requires_grad_(True)
    out, trend = m(x)
    r = torch.randn(out.shape, dtype=torch.float64)
    (out * r).sum().backward()
    cases.append({
        "name": name, "input_size": L, "h": h, "outputs": K, "batch": B, "moving_avg_window": k,
        "state_dict": {k: v.detach().numpy().ravel().tolist() for k, v in m.state_dict().items()},
        "x": x.detach().numpy().ravel().tolist(),
        "trend": trend.detach().numpy().ravel().tolist(),
        "out": out.detach().numpy().ravel().tolist(),
        "r": r.numpy().ravel().tolist(),
        "grad_x": x.grad.numpy().ravel().tolist(),
        "grads": {k: p.grad.numpy().ravel().tolist() for k, p in m.named_parameters()},
    })

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
