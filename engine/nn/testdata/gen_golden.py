"""Generate nn goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

A 3-layer ReLU MLP held in an nn.ModuleList called "layers" (state_dict keys
layers.<i>.weight/bias, as streamcast's nn.MLP names them): its weights,
an input batch, the output, and the gradients of Σ r·out w.r.t. the input
and every parameter. Also the empirical moments of PyTorch's default Linear
and Conv1d initialisation. CI never runs this.
"""
import json
import os

import torch

torch.manual_seed(3)
sizes = [5, 8, 6, 3]
layers = torch.nn.ModuleList([torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)])
holder = torch.nn.Module()
holder.layers = layers
x = torch.randn(4, 5, requires_grad=True)
h = x
for i, l in enumerate(layers):
    h = l(h)
    if i < len(layers) - 1:
        h = torch.relu(h)
r = torch.randn(h.shape)
(h * r).sum().backward()

sd = {k: v.detach().numpy().ravel().tolist() for k, v in holder.state_dict().items()}
grads = {k: p.grad.numpy().ravel().tolist() for k, p in holder.named_parameters()}

lin = torch.nn.Linear(400, 300)
conv = torch.nn.Conv1d(16, 32, kernel_size=5, groups=2)
init = {
    "linear": {"fan_in": 400, "weight_max": float(lin.weight.abs().max()), "weight_var": float(lin.weight.var()),
               "bias_max": float(lin.bias.abs().max())},
    "conv1d": {"shape": list(conv.weight.shape), "fan_in": 8 * 5, "weight_max": float(conv.weight.abs().max()),
               "weight_var": float(conv.weight.var())},
}
out = {"sizes": sizes, "state_dict": sd, "x": x.detach().numpy().ravel().tolist(),
       "out": h.detach().numpy().ravel().tolist(), "r": r.numpy().ravel().tolist(),
       "grad_x": x.grad.numpy().ravel().tolist(), "grads": grads, "init": init}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn.json"), "w") as f:
    json.dump(out, f)
