#!/usr/bin/env python3
"""PyTorch timings matching the Go benchmarks of the E2 ops (2 threads).

Run:  /usr/bin/python3 testdata/e2_bench_torch.py
Compare with:  go test -run XXX -bench 'LSTM2x200|Conv1dTCN|AttentionPatchTST' ./engine/tensor
(and the same with CGO_ENABLED=1 -tags openblas). Prints the best of a few runs.
"""
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)


def best(f, reps=3):
    f()
    ts = []
    for _ in range(reps):
        t = time.time()
        f()
        ts.append(time.time() - t)
    return min(ts) * 1000


for kind in ("LSTM", "GRU"):
    m = getattr(torch.nn, kind)(1, 200, num_layers=2, batch_first=True)
    x = torch.randn(32, 168, 1)

    def fwd():
        with torch.no_grad():
            m(x)

    def train():
        m.zero_grad()
        m(x)[0].sum().backward()
    print(f"{kind} 2x200 N32 T168: forward {best(fwd):.0f} ms, forward+backward {best(train):.0f} ms", flush=True)

x = torch.randn(32, 64, 168, requires_grad=True)
w = torch.randn(64, 64, 2, requires_grad=True)
b = torch.randn(64, requires_grad=True)
print("Conv1d TCN (32x64x168, k2, d4, causal) forward+backward %.1f ms" %
      best(lambda: F.conv1d(F.pad(x, (4, 0)), w, b, dilation=4).sum().backward(), 5), flush=True)

q, k, v = [torch.randn(32, 16, 42, 8, requires_grad=True) for _ in range(3)]


def attn():
    p = torch.softmax((q @ k.transpose(-1, -2)) / 8 ** 0.5, -1)
    (p @ v).sum().backward()
print("Attention PatchTST (32x16x42x8) forward+backward %.1f ms" % best(attn, 5), flush=True)
