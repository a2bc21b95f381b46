"""Generate optimiser goldens with PyTorch (run: /usr/bin/python3 gen_golden.py).

Writes optim.json next to this script. CI never runs this; the Go tests read
the JSON. Each case applies `steps` updates to two parameters, with the
gradient of step t given explicitly, and records the parameters after each
step and the final optimiser state.
"""
import json
import os

import numpy as np
import torch

rng = np.random.default_rng(20261126)
shapes = [(3, 4), (5,)]
steps = 5
init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]


def run(make_opt, clip=None):
    params = [torch.nn.Parameter(torch.tensor(x.copy())) for x in init]
    opt = make_opt(params)
    after = []
    norms = []
    for t in range(steps):
        opt.zero_grad()
        for p, g in zip(params, grads[t]):
            p.grad = torch.tensor(g.copy())
        if clip is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip)))
        opt.step()
        after.append([p.detach().numpy().ravel().tolist() for p in params])
    st = opt.state_dict()["state"]
    slots = {}
    for i in range(len(params)):
        for k, v in st[i].items():
            if k == "step":
                continue
            slots.setdefault(k, []).append(None if v is None else v.numpy().ravel().tolist())
    return {"after": after, "slots": slots, "norms": norms}


cases = {
    "adam": (lambda p: torch.optim.Adam(p, lr=1e-2), None),
    "adam_wd": (lambda p: torch.optim.Adam(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None),
    "adamw": (lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05), None),
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.1), None),
    "sgd_momentum": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, dampening=0.1), None),
    "sgd_nesterov": (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True), None),
    "adam_clip": (lambda p: torch.optim.Adam(p, lr=1e-2), 1.0),
}
out = {
    "shapes": shapes,
    "init": [x.ravel().tolist() for x in init],
    "grads": [[g.ravel().tolist() for g in gs] for gs in grads],
    "cases": {name: run(f, clip) for name, (f, clip) in cases.items()},
}

# StepLR as NeuralForecast configures it: max_steps=10, num_lr_decays=3.
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.Adam([p], lr=1e-3)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(10 // 3, 1), gamma=0.5)
lrs = []
for _ in range(10):
    opt.step()
    sched.step()
    lrs.append(opt.param_groups[0]["lr"])
out["steplr"] = {"max_steps": 10, "num_lr_decays": 3, "base": 1e-3, "lrs": lrs}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json"), "w") as f:
    json.dump(out, f)
