#!/usr/bin/python3
"""Generate PyTorch 1.13 golden values for the engine/tensor op tests.

Run from this directory with the system python that has torch installed:

    /usr/bin/python3 gen_golden.py

Every case draws float32 inputs from a seeded generator, evaluates the op in
float64 (so the reference is exact to well below float32 rounding), and
back-propagates a seeded random upstream gradient `gout`. The Go tests feed
the same float32 inputs and gout to the Go op and compare the output and
every input gradient. Files: ops_<group>.json.
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20240601)


def randn(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape, generator=GEN, dtype=torch.float32) * scale + shift).to(torch.float32)


def away(x, d=0.1):
    """Push float32 values away from 0 (kinks of abs/relu/elu)."""
    return torch.where(x.abs() < d, x.sign() * d + x + (x == 0).to(x.dtype) * d, x).to(torch.float32)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tens(t):
    return {"shape": list(t.shape), "data": flat(t)}


def case(name, fn, inputs, params=None, grad=None, extra=None):
    """inputs: float32 tensors; grad: list of bools, which inputs need grads."""
    if grad is None:
        grad = [True] * len(inputs)
    xs = [x.to(torch.float64).clone().requires_grad_(g) for x, g in zip(inputs, grad)]
    out = fn(*xs)
    gout = torch.randn(*out.shape, generator=GEN, dtype=torch.float32)
    c = {"name": name, "inputs": [tens(x) for x in inputs], "params": params or {},
         "out": tens(out), "gout": flat(gout)}
    if out.requires_grad:
        out.backward(gout.to(torch.float64))
        c["grads"] = [flat(x.grad) if g else None for x, g in zip(xs, grad)]
    if extra is not None:
        c["extra"] = {k: flat(v) for k, v in extra().items()}
    return c


def elementwise():
    cs = []
    a, b = randn(2, 3, 4), randn(2, 3, 4)
    cs.append(case("add", torch.add, [a, b]))
    cs.append(case("sub", torch.sub, [a, b]))
    cs.append(case("mul", torch.mul, [a, b]))
    cs.append(case("div", torch.div, [a, away(b, 0.5)]))
    # Broadcast patterns: bias over last axis, per-row scale, outer product,
    # leading-axis broadcast on both sides, scalar-like operand.
    pats = [((2, 3, 4), (4,)), ((2, 3, 4), (2, 3, 1)), ((3, 1), (1, 4)),
            ((1, 3, 1), (2, 1, 5)), ((2, 3), (1,)), ((4,), (2, 3, 4)), ((2, 1, 4), (3, 1))]
    for i, (sa, sb) in enumerate(pats):
        x, y = randn(*sa), randn(*sb)
        cs.append(case(f"add_b{i}", torch.add, [x, y]))
        cs.append(case(f"sub_b{i}", torch.sub, [x, y]))
        cs.append(case(f"mul_b{i}", torch.mul, [x, y]))
        cs.append(case(f"div_b{i}", torch.div, [x, away(y, 0.5)]))
    x = randn(3, 5)
    cs.append(case("addscalar", lambda t: t + 0.75, [x], {"c": 0.75}))
    cs.append(case("mulscalar", lambda t: t * -1.5, [x], {"c": -1.5}))
    cs.append(case("neg", torch.neg, [x]))
    cs.append(case("broadcastto", lambda t: t.expand(2, 3, 4).clone(), [randn(3, 1)], {"shape": [2, 3, 4]}))
    return cs


def unary():
    cs = []
    x = randn(4, 6, scale=2.0)
    pos = randn(4, 6).abs().to(torch.float32) + 0.2
    cs.append(case("relu", F.relu, [away(x)]))
    cs.append(case("exp", torch.exp, [x]))
    cs.append(case("log", torch.log, [pos]))
    cs.append(case("sqrt", torch.sqrt, [pos]))
    cs.append(case("abs", torch.abs, [away(x)]))
    for p in (2.0, 3.0, 0.5, -1.5, 1.0):
        cs.append(case(f"pow_{p}", lambda t, p=p: torch.pow(t, p), [pos], {"p": p}))
    cs.append(case("pow_int_neg", lambda t: torch.pow(t, 3.0), [x], {"p": 3.0}))
    cs.append(case("tanh", torch.tanh, [x]))
    cs.append(case("sigmoid", torch.sigmoid, [randn(4, 6, scale=4.0)]))
    cs.append(case("gelu", F.gelu, [x]))
    cs.append(case("gelu_tanh", lambda t: F.gelu(t, approximate="tanh"), [x]))
    for alpha in (1.0, 0.5):
        cs.append(case(f"elu_{alpha}", lambda t, a=alpha: F.elu(t, a), [away(x)], {"alpha": alpha}))
    big = randn(4, 6, scale=12.0)
    cs.append(case("softplus", lambda t: F.softplus(t), [big], {"beta": 1.0, "threshold": 20.0}))
    cs.append(case("softplus_beta", lambda t: F.softplus(t, 2.0, 5.0), [big], {"beta": 2.0, "threshold": 5.0}))
    return cs


def reduce():
    cs = []
    x = randn(3, 4, 5)
    for axis in (0, 1, 2, -1):
        for keep in (False, True):
            sfx = f"{axis}_{int(keep)}"
            p = {"axis": axis, "keepdim": keep}
            cs.append(case("sum_" + sfx, lambda t, a=axis, k=keep: t.sum(a, keepdim=k), [x], p))
            cs.append(case("mean_" + sfx, lambda t, a=axis, k=keep: t.mean(a, keepdim=k), [x], p))
            cs.append(case("max_" + sfx, lambda t, a=axis, k=keep: t.max(a, keepdim=k).values, [x], p))
    ties = torch.tensor([[1, 3, 3, 2], [5, 5, 5, 5], [0, -1, 0, -1]], dtype=torch.float32)
    cs.append(case("max_ties_1", lambda t: t.max(1).values, [ties], {"axis": 1, "keepdim": False}))
    cs.append(case("max_ties_0", lambda t: t.max(0).values, [ties], {"axis": 0, "keepdim": False}))
    cs.append(case("sumall", lambda t: t.sum().reshape(1), [x]))
    cs.append(case("meanall", lambda t: t.mean().reshape(1), [x]))
    big = randn(2, 3, 7, scale=30.0)
    for axis in (0, 1, 2):
        cs.append(case(f"softmax_{axis}", lambda t, a=axis: torch.softmax(t, a), [big], {"axis": axis}))
        cs.append(case(f"logsoftmax_{axis}", lambda t, a=axis: torch.log_softmax(t, a), [big], {"axis": axis}))
    return cs


def norm():
    cs = []
    x = randn(2, 3, 8, scale=2.0, shift=0.5)
    w, b = randn(8, shift=1.0), randn(8)
    cs.append(case("layernorm_1", lambda t, w, b: F.layer_norm(t, (8,), w, b, 1e-5), [x, w, b], {"ndims": 1}))
    w2, b2 = randn(3, 8, shift=1.0), randn(3, 8)
    cs.append(case("layernorm_2", lambda t, w, b: F.layer_norm(t, (3, 8), w, b, 1e-5), [x, w2, b2], {"ndims": 2}))
    cs.append(case("layernorm_noaffine", lambda t: F.layer_norm(t, (8,), None, None, 1e-5), [x], {"ndims": 1}))
    for shape in ((6, 4), (3, 4, 5)):
        xb = randn(*shape, scale=1.5, shift=0.3)
        wb, bb = randn(4, shift=1.0), randn(4)
        rm0, rv0 = randn(4, scale=0.1), randn(4, scale=0.1).abs().to(torch.float32) + 0.9
        tag = "x".join(map(str, shape))
        rm, rv = rm0.to(torch.float64).clone(), rv0.to(torch.float64).clone()
        cs.append(case(f"batchnorm_train_{tag}",
                       lambda t, w, b, rm=rm, rv=rv: F.batch_norm(t, rm, rv, w, b, True, 0.1, 1e-5),
                       [xb, wb, bb], {"running_mean": flat(rm0), "running_var": flat(rv0), "train": True},
                       extra=lambda rm=rm, rv=rv: {"running_mean": rm, "running_var": rv}))
        rm, rv = rm0.to(torch.float64).clone(), rv0.to(torch.float64).clone()
        cs.append(case(f"batchnorm_eval_{tag}",
                       lambda t, w, b, rm=rm, rv=rv: F.batch_norm(t, rm, rv, w, b, False, 0.1, 1e-5),
                       [xb, wb, bb], {"running_mean": flat(rm0), "running_var": flat(rv0), "train": False},
                       extra=lambda rm=rm, rv=rv: {"running_mean": rm, "running_var": rv}))
    return cs


def shape():
    cs = []
    x = randn(2, 3, 4)
    cs.append(case("reshape", lambda t: t.reshape(4, 6), [x], {"shape": [4, 6]}))
    cs.append(case("reshape_infer", lambda t: t.reshape(-1, 2), [x], {"shape": [-1, 2]}))
    for a0, a1 in ((0, 1), (1, 2), (0, 2), (-1, -2)):
        cs.append(case(f"transpose_{a0}_{a1}", lambda t, a=a0, b=a1: t.transpose(a, b).contiguous(), [x],
                       {"a0": a0, "a1": a1}))
    y = randn(2, 3, 4, 5)
    for perm in ((0, 2, 1, 3), (3, 2, 1, 0), (1, 3, 0, 2), (0, 1, 3, 2)):
        cs.append(case("permute_" + "".join(map(str, perm)), lambda t, p=perm: t.permute(*p).contiguous(), [y],
                       {"perm": list(perm)}))
    for axis in (0, 1, 2, -1):
        a, b, c = randn(2, 3, 4), randn(2, 3, 4), randn(2, 3, 4)
        sa = list(a.shape)
        sa[axis] = 2
        a = randn(*sa)
        cs.append(case(f"concat_{axis}", lambda p, q, r, ax=axis: torch.cat([p, q, r], ax), [a, b, c], {"axis": axis}))
    z = randn(3, 10, 2)
    for (st, en, sp) in ((0, 10, 1), (2, 8, 1), (1, 10, 3), (-4, 10, 2), (3, 100, 2), (0, 10, 20)):
        cs.append(case(f"slice_{st}_{en}_{sp}", lambda t, s=st, e=en, p=sp: t[:, s:e:p], [z],
                       {"axis": 1, "start": st, "end": en, "step": sp}))
    return cs


def gather():
    cs = []
    x = randn(4, 5, 3)
    for axis, idx in ((0, [3, 0, 0, 2]), (1, [4, 1, 1, 0, 2, 4]), (2, [2, 2, 0])):
        cs.append(case(f"indexselect_{axis}", lambda t, a=axis, i=idx: torch.index_select(t, a, torch.tensor(i)),
                       [x], {"axis": axis, "index": idx}))
    g = torch.randint(0, 5, (4, 3, 3), generator=GEN)
    cs.append(case("gather_1", lambda t: torch.gather(t, 1, g), [x],
                   {"axis": 1, "index": g.reshape(-1).tolist(), "index_shape": list(g.shape)}))
    g0 = torch.randint(0, 4, (2, 5, 2), generator=GEN)
    cs.append(case("gather_0", lambda t: torch.gather(t, 0, g0), [x],
                   {"axis": 0, "index": g0.reshape(-1).tolist(), "index_shape": list(g0.shape)}))
    w = randn(7, 4)
    ids = torch.tensor([[1, 6, 1], [0, 3, 1]])
    cs.append(case("embedding", lambda t: F.embedding(ids, t), [w],
                   {"index": ids.reshape(-1).tolist(), "index_shape": list(ids.shape)}))
    return cs


def main():
    for group, fn in (("elementwise", elementwise), ("unary", unary), ("reduce", reduce), ("norm", norm),
                      ("shape", shape), ("gather", gather)):
        with open(f"ops_{group}.json", "w") as f:
            json.dump({"torch": torch.__version__, "cases": fn()}, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
