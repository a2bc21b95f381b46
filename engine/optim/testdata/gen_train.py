"""Generate an end-to-end training golden with PyTorch (run: /usr/bin/python3 gen_train.py).

Ten NeuralForecast-style steps on fixed windows: per-window standard
scaling of inputs and targets (statistics from the inputs only, eps 1e-6,
population std), a ModuleList MLP 6-16-16-3 with ReLU, masked MAE
(_weighted_mean), Adam(lr=1e-2), clip_grad_norm_(0.25) and
StepLR(step_size=max(10//3, 1), gamma=0.5) stepped per step. Writes
train.json with the initial weights, data, per-step losses, gradient norms
and final weights. CI never runs this.
"""
import json
import os

import torch

torch.manual_seed(11)
B, L, H = 16, 6, 3
x = torch.randn(B, L) * 2 + torch.arange(B).float().unsqueeze(1) * 0.3
y = x[:, -H:] * 0.5 + torch.randn(B, H) * 0.1 + 1.0
mask = torch.ones(B, H)
mask[0, 2] = 0
mask[5, :] = 0

holder = torch.nn.Module()
holder.layers = torch.nn.ModuleList([torch.nn.Linear(6, 16), torch.nn.Linear(16, 16), torch.nn.Linear(16, 3)])
init = {k: v.detach().numpy().ravel().tolist() for k, v in holder.state_dict().items()}
opt = torch.optim.Adam(holder.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(10 // 3, 1), gamma=0.5)

mean = x.mean(dim=1, keepdim=True)
std = torch.sqrt(((x - mean) ** 2).mean(dim=1, keepdim=True))
std[std == 0] = 1.0
std = std + 1e-6
xs = (x - mean) / std
ys = (y - mean) / std

losses, norms = [], []
for step in range(10):
    opt.zero_grad()
    h = xs
    for i, l in enumerate(holder.layers):
        h = l(h)
        if i < 2:
            h = torch.relu(h)
    loss = torch.sum(torch.abs(ys - h) * mask) / torch.sum(mask)
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_(holder.parameters(), 0.25)))
    opt.step()
    sched.step()
    losses.append(float(loss))

out = {"B": B, "L": L, "H": H, "x": x.numpy().ravel().tolist(), "y": y.numpy().ravel().tolist(),
       "mask": mask.numpy().ravel().tolist(), "init": init, "losses": losses, "norms": norms,
       "final": {k: v.detach().numpy().ravel().tolist() for k, v in holder.state_dict().items()},
       "lr": opt.param_groups[0]["lr"]}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.json"), "w") as f:
    json.dump(out, f)
