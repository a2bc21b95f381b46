#!/usr/bin/python3
"""Time PyTorch on the work of engine/tensor's BenchmarkOps.

    /usr/bin/python3 bench_torch.py [threads]

Each entry is the best of 5 repeats of the mean time per call, for the
forward pass alone (under no_grad) and forward + backward with a ones
upstream gradient, on a (256, 512) float32 input, matching ops_bench_test.go.
"""
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
R, C = 256, 512
g = torch.Generator().manual_seed(1)
x0 = torch.randn(R, C, generator=g)
other = torch.randn(R, C, generator=g)
bias = torch.randn(C, generator=g)
w, lb = torch.randn(C, generator=g), torch.randn(C, generator=g)
rm, rv = torch.zeros(C), torch.ones(C)

OPS = {
    "Add": lambda x: x + other,
    "AddBias": lambda x: x + bias,
    "Mul": lambda x: x * other,
    "ReLU": F.relu,
    "Exp": torch.exp,
    "Tanh": torch.tanh,
    "Sigmoid": torch.sigmoid,
    "GELU": F.gelu,
    "ELU": F.elu,
    "Softplus": F.softplus,
    "SumAxis1": lambda x: x.sum(1),
    "SumAxis0": lambda x: x.sum(0),
    "Softmax": lambda x: torch.softmax(x, -1),
    "LogSoftmax": lambda x: torch.log_softmax(x, -1),
    "LayerNorm": lambda x: F.layer_norm(x, (C,), w, lb, 1e-5),
    "BatchNorm": lambda x: F.batch_norm(x, rm, rv, w, lb, True, 0.1, 1e-5),
    "Dropout": lambda x: F.dropout(x, 0.1, True),
    "Transpose": lambda x: x.t().contiguous(),
}


def timeit(f, n):
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t) / n)
    return best


def main():
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, op in OPS.items():
        def fwd():
            with torch.no_grad():
                op(x0)

        def fwdbwd():
            x = x0.detach().requires_grad_(True)
            y = op(x)
            y.backward(torch.ones_like(y))

        fwd(), fwdbwd()
        print(f"{name:12s} fwd {timeit(fwd, 50) * 1e6:10.1f} us   fwd+bwd {timeit(fwdbwd, 50) * 1e6:10.1f} us")


if __name__ == "__main__":
    main()
