"""Generate NLinear goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

NeuralForecast's NLinear forward, written out in torch: subtract the
window's last value, nn.Linear(L, h*K), add the last value back. For each
case: the state_dict (linear.weight, linear.bias), an input batch x [B, L],
the output [B, h*K], a random projection r and the gradients of sum(r*out)
with respect to x and every parameter. CI never runs this.
"""
import json
import os

import torch

torch.manual_seed(11)


class NLinear(torch.nn.Module):
    def __init__(self, L, out):
        super().__init__()
        self.linear = torch.nn.Linear(L, out)

    def forward(self, x):
        last = x[:, -1:]
        return self.linear(x - last) + last


cases = []
for name, B, L, h, K in [("L12_h4", 3, 12, 4, 1), ("L7_h3_K3", 2, 7, 3, 3), ("L1_h2", 2, 1, 2, 1)]:
    m = NLinear(L, h * K).double()
    x = (torch.randn(B, L, dtype=torch.float64) * 2 + 5).requires_grad_(True)
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
