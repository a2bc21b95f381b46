#!/usr/bin/env python3
"""Generate PyTorch goldens for the E2 ops of package tensor.

Run from engine/tensor:  /usr/bin/python3 testdata/e2_gen_golden.py
It writes testdata/e2_golden.json. Inputs are float32-representable values;
outputs and gradients are computed in float64 so the Go float32 kernels are
compared against an exact reference. For every case the scalar loss is
sum_k sum(output_k * seed_k) with the stored seeds; "grads" holds d loss / d input.
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(20261126)
CASES = []


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).float().double()


def enc(t):
    t = t.detach()
    # -inf (causally masked scores) is stored as -3e38, which the Go test maps back to -Inf.
    return {"shape": list(t.shape), "data": [float(v) if math.isfinite(v) else -3e38 for v in t.reshape(-1).tolist()]}


def add(name, op, params, inputs, fn, grad_names):
    ins = {k: v.clone().requires_grad_(k in grad_names) for k, v in inputs.items()}
    outs = fn(**ins)
    seeds = {k: torch.where(torch.isfinite(v), rnd(*v.shape), 0.0) for k, v in outs.items()}
    loss = sum((torch.where(torch.isfinite(outs[k]), outs[k], 0.0) * seeds[k]).sum() for k in outs)
    loss.backward()
    CASES.append({
        "name": name, "op": op, "params": params,
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "outputs": {k: enc(v) for k, v in outs.items()},
        "seeds": {k: enc(v) for k, v in seeds.items()},
        "grads": {k: enc(ins[k].grad) for k in grad_names},
    })


# ---- BMM
for ta in (False, True):
    for tb in (False, True):
        a = rnd(2, 3, 5, 4) if ta else rnd(2, 3, 4, 5)
        b = rnd(2, 3, 6, 5) if tb else rnd(2, 3, 5, 6)

        def f(a, b, ta=ta, tb=tb):
            A = a.transpose(-1, -2) if ta else a
            B = b.transpose(-1, -2) if tb else b
            return {"out": A @ B}
        add(f"bmm_ta{int(ta)}_tb{int(tb)}", "bmm", {"transA": ta, "transB": tb}, {"a": a, "b": b}, f, ["a", "b"])

# ---- Conv1d
conv_cases = [
    ("conv_basic", dict(n=2, cin=3, l=10, cout=4, k=3, stride=1, padding=0, dilation=1, groups=1, causal=False, bias=True)),
    ("conv_s2_p1_d2", dict(n=2, cin=3, l=11, cout=4, k=3, stride=2, padding=1, dilation=2, groups=1, causal=False, bias=True)),
    ("conv_groups", dict(n=2, cin=4, l=9, cout=6, k=2, stride=1, padding=1, dilation=1, groups=2, causal=False, bias=True)),
    ("conv_causal", dict(n=2, cin=3, l=12, cout=5, k=3, stride=1, padding=0, dilation=2, groups=1, causal=True, bias=True)),
    ("conv_single_nobias", dict(n=1, cin=2, l=8, cout=3, k=4, stride=3, padding=2, dilation=1, groups=1, causal=False, bias=False)),
    ("conv_depthwise_causal_s2", dict(n=3, cin=4, l=10, cout=4, k=2, stride=2, padding=0, dilation=3, groups=4, causal=True, bias=False)),
    ("conv_anticausal", dict(n=2, cin=3, l=9, cout=2, k=2, stride=1, padding=0, dilation=4, groups=1, causal=False, bias=True, padl=0, padr=4)),
    ("conv_asym_s2", dict(n=2, cin=2, l=8, cout=3, k=3, stride=2, padding=0, dilation=1, groups=1, causal=False, bias=True, padl=2, padr=1)),
    ("conv_circular", dict(n=2, cin=3, l=7, cout=4, k=3, stride=1, padding=1, dilation=1, groups=1, causal=False, bias=False, circular=True)),
    ("conv_circular_wide", dict(n=1, cin=2, l=5, cout=2, k=3, stride=2, padding=0, dilation=2, groups=1, causal=False, bias=True, circular=True, padl=5, padr=3)),
]
for name, p in conv_cases:
    ins = {"x": rnd(p["n"], p["cin"], p["l"]), "w": rnd(p["cout"], p["cin"] // p["groups"], p["k"], scale=0.5)}
    if p["bias"]:
        ins["b"] = rnd(p["cout"])

    def f(x, w, b=None, p=p):
        if p.get("circular"):
            pl, pr = (p.get("padl", 0), p.get("padr", 0)) if (p.get("padl") or p.get("padr")) else (p["padding"], p["padding"])
            x = F.pad(x, (pl, pr), mode="circular")
            pad = 0
        elif p["causal"]:
            x = F.pad(x, ((p["k"] - 1) * p["dilation"], 0))
            pad = 0
        elif p.get("padl") or p.get("padr"):
            x = F.pad(x, (p.get("padl", 0), p.get("padr", 0)))
            pad = 0
        else:
            pad = p["padding"]
        return {"out": F.conv1d(x, w, b, stride=p["stride"], padding=pad, dilation=p["dilation"], groups=p["groups"])}
    add(name, "conv1d", p, ins, f, list(ins))

# ---- Pools
pool_cases = [
    ("k3_s2_p1", dict(l=11, k=3, s=2, p=1, ceil=False, incl=True)),
    ("k3_s2_p1_ceil", dict(l=11, k=3, s=2, p=1, ceil=True, incl=True)),
    ("k3_s2_p1_ceil_excl", dict(l=10, k=3, s=2, p=1, ceil=True, incl=False)),
    ("k4_s4_ceil", dict(l=10, k=4, s=4, p=0, ceil=True, incl=True)),
    ("k2_default_stride", dict(l=9, k=2, s=0, p=0, ceil=False, incl=True)),
    ("k4_s3_p2_ceil", dict(l=8, k=4, s=3, p=2, ceil=True, incl=True)),
    ("k5_s1_p2_excl", dict(l=7, k=5, s=1, p=2, ceil=False, incl=False)),
]
for name, p in pool_cases:
    x = rnd(2, 3, p["l"])
    stride = p["s"] if p["s"] else None

    def fmax(x, p=p, stride=stride):
        return {"out": F.max_pool1d(x, p["k"], stride, p["p"], ceil_mode=p["ceil"])}

    def favg(x, p=p, stride=stride):
        return {"out": F.avg_pool1d(x, p["k"], stride, p["p"], ceil_mode=p["ceil"], count_include_pad=p["incl"])}
    add("maxpool_" + name, "maxpool1d", p, {"x": x}, fmax, ["x"])
    add("avgpool_" + name, "avgpool1d", p, {"x": x}, favg, ["x"])

# ---- Linear interpolation (align_corners=False)
for name, (n, c, l, size) in {"up": (2, 3, 5, 12), "down": (1, 2, 7, 3), "one": (1, 1, 1, 4), "same": (1, 2, 4, 4), "odd": (2, 1, 6, 17)}.items():
    add("interp_" + name, "interp_linear", {"size": size}, {"x": rnd(n, c, l)},
        lambda x, size=size: {"out": F.interpolate(x, size=size, mode="linear", align_corners=False)}, ["x"])

# ---- LSTM / GRU
def rnn_case(kind, n, t, i, h, with_state):
    mod = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(i, h, batch_first=True).double()
    ins = {"x": rnd(n, t, i), "wih": mod.weight_ih_l0.detach().float().double(), "whh": mod.weight_hh_l0.detach().float().double(),
           "bih": mod.bias_ih_l0.detach().float().double(), "bhh": mod.bias_hh_l0.detach().float().double()}
    if with_state:
        ins["h0"] = rnd(n, h, scale=0.5)
        if kind == "lstm":
            ins["c0"] = rnd(n, h, scale=0.5)

    def f(x, wih, whh, bih, bhh, h0=None, c0=None):
        hs = []
        hh = h0 if h0 is not None else torch.zeros(n, h, dtype=torch.float64)
        cc = c0 if c0 is not None else torch.zeros(n, h, dtype=torch.float64)
        for s in range(t):
            if kind == "lstm":
                hh, cc = torch._VF.lstm_cell(x[:, s], (hh, cc), wih, whh, bih, bhh)
            else:
                hh = torch._VF.gru_cell(x[:, s], hh, wih, whh, bih, bhh)
            hs.append(hh)
        o = {"out": torch.stack(hs, 1), "hT": hh}
        if kind == "lstm":
            o["cT"] = cc
        return o
    return ins, f


for kind in ("lstm", "gru"):
    for name, (n, t, i, h, st) in {"seq": (3, 5, 4, 6, True), "seq_nostate": (2, 4, 3, 5, False), "cell": (3, 1, 4, 5, True)}.items():
        ins, f = rnn_case(kind, n, t, i, h, st)
        if name == "cell":
            ins["x"] = ins["x"][:, 0]

            def fc(x, wih, whh, bih, bhh, h0, c0=None, f=f):
                o = f(x[:, None], wih, whh, bih, bhh, h0, c0)
                r = {"h": o["hT"]}
                if "cT" in o:
                    r["c"] = o["cT"]
                return r
            add(f"{kind}_{name}", kind + "_cell", {}, ins, fc, list(ins))
        else:
            add(f"{kind}_{name}", kind, {}, ins, f, list(ins))

# ---- Attention
def attn(q, k, v, mask=None, prev=None, causal=False, scale=None):
    d = q.shape[-1]
    sc = scale if scale is not None else 1 / math.sqrt(d)
    s = (q @ k.transpose(-1, -2)) * sc
    if prev is not None:
        s = s + prev
    if mask is not None:
        s = s + mask
    if causal:
        lq, lk = s.shape[-2:]
        cm = torch.triu(torch.ones(lq, lk, dtype=torch.bool), 1)
        s = s.masked_fill(cm, float("-inf"))
    p = torch.softmax(s, -1)
    return p @ v, s


def add_attn(name, params, n, hd, lq, lk, d, dv, mask=False, prev=False, scores=False):
    ins = {"q": rnd(n, hd, lq, d), "k": rnd(n, hd, lk, d), "v": rnd(n, hd, lk, dv)}
    if mask:
        ins["mask"] = rnd(lq, lk)
    if prev:
        ins["prev"] = rnd(n, hd, lq, lk)

    def f(q, k, v, mask=None, prev=None):
        o, s = attn(q, k, v, mask, prev, params.get("causal", False), params.get("scale"))
        r = {"out": o}
        if scores:
            r["scores"] = s
        return r
    add(name, "attention", params, ins, f, list(ins))


add_attn("attn_plain", {}, 2, 3, 4, 6, 5, 5)
add_attn("attn_mask", {}, 2, 2, 4, 6, 5, 3, mask=True)
add_attn("attn_causal", {"causal": True}, 2, 2, 5, 5, 4, 4)
add_attn("attn_prev_scores", {"scale": 0.3}, 2, 2, 4, 4, 3, 3, prev=True, scores=True)
add_attn("attn_all", {"causal": True}, 1, 2, 4, 4, 3, 2, mask=True, prev=True, scores=True)

# ---- nn.MultiheadAttention(batch_first=True)
def add_mha(name, e, heads, n, lq, lk, self_attn, mask, bias):
    mod = torch.nn.MultiheadAttention(e, heads, bias=bias, batch_first=True).double()
    with torch.no_grad():
        for prm in mod.parameters():
            prm.copy_(rnd(*prm.shape, scale=0.5))
    ins = {"inw": mod.in_proj_weight.detach().clone(), "outw": mod.out_proj.weight.detach().clone()}
    if bias:
        ins["inb"] = mod.in_proj_bias.detach().clone()
        ins["outb"] = mod.out_proj.bias.detach().clone()
    ins["query"] = rnd(n, lq, e)
    if not self_attn:
        ins["key"] = rnd(n, lk, e)
        ins["value"] = rnd(n, lk, e)
    if mask:
        ins["mask"] = rnd(lq, lk)

    def f(inw, outw, query, inb=None, outb=None, key=None, value=None, mask=None):
        if key is None:
            key = value = query
        o, _ = F.multi_head_attention_forward(
            query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), e, heads, inw, inb, None, None, False, 0.0,
            outw, outb, training=False, need_weights=False, attn_mask=mask)
        return {"out": o.transpose(0, 1)}
    add(name, "mha", {"heads": heads, "self": self_attn}, ins, f, list(ins))


add_mha("mha_self", 8, 2, 2, 5, 5, True, False, True)
add_mha("mha_cross_mask", 6, 3, 2, 3, 4, False, True, True)
add_mha("mha_nobias", 4, 1, 1, 3, 3, True, True, False)

# ---- LSTM with output projection (nn.LSTM proj_size, NeuralForecast's recurrent LSTM)
for name, (n, t, i, h, pj, st) in {"seq": (3, 5, 4, 6, 2, True), "seq_nostate": (2, 4, 3, 5, 1, False), "cell": (2, 1, 3, 4, 3, True)}.items():
    mod = torch.nn.LSTM(i, h, batch_first=True, proj_size=pj).double()
    ins = {"x": rnd(n, t, i), "wih": mod.weight_ih_l0.detach().float().double(), "whh": mod.weight_hh_l0.detach().float().double(),
           "bih": mod.bias_ih_l0.detach().float().double(), "bhh": mod.bias_hh_l0.detach().float().double(),
           "whr": mod.weight_hr_l0.detach().float().double()}
    if st:
        ins["h0"] = rnd(n, pj, scale=0.5)
        ins["c0"] = rnd(n, h, scale=0.5)

    def f(x, wih, whh, bih, bhh, whr, h0=None, c0=None, mod=mod, n=n, h=h, pj=pj):
        for name_, v in (("weight_ih_l0", wih), ("weight_hh_l0", whh), ("bias_ih_l0", bih), ("bias_hh_l0", bhh), ("weight_hr_l0", whr)):
            setattr(mod, name_, None)
            mod._parameters[name_] = None
            mod.__dict__[name_] = v
        mod._flat_weights = [wih, whh, bih, bhh, whr]
        hh = h0 if h0 is not None else torch.zeros(n, pj, dtype=torch.float64)
        cc = c0 if c0 is not None else torch.zeros(n, h, dtype=torch.float64)
        o, (hT, cT) = mod(x, (hh[None], cc[None]))
        return {"out": o, "hT": hT[0], "cT": cT[0]}
    if name == "cell":
        ins["x"] = ins["x"][:, 0]
        add("lstmproj_cell", "lstm_cell", {}, ins,
            lambda x, f=f, **kw: (lambda o: {"h": o["hT"], "c": o["cT"]})(f(x[:, None], **kw)), list(ins))
    else:
        add("lstmproj_" + name, "lstm", {}, ins, f, list(ins))

# ---- Elman RNN (nn.RNN tanh / relu)
for act in ("tanh", "relu"):
    for name, (n, t, i, h, st) in {"seq": (3, 5, 4, 6, True), "seq_nostate": (2, 3, 2, 4, False), "cell": (2, 1, 3, 4, True)}.items():
        mod = torch.nn.RNN(i, h, nonlinearity=act, batch_first=True).double()
        ins = {"x": rnd(n, t, i), "wih": mod.weight_ih_l0.detach().float().double(), "whh": mod.weight_hh_l0.detach().float().double(),
               "bih": mod.bias_ih_l0.detach().float().double(), "bhh": mod.bias_hh_l0.detach().float().double()}
        if st:
            ins["h0"] = rnd(n, h, scale=0.5)
        cell = torch._VF.rnn_tanh_cell if act == "tanh" else torch._VF.rnn_relu_cell

        def f(x, wih, whh, bih, bhh, h0=None, n=n, t=t, h=h, cell=cell):
            hh = h0 if h0 is not None else torch.zeros(n, h, dtype=torch.float64)
            hs = []
            for s_ in range(t):
                hh = cell(x[:, s_], hh, wih, whh, bih, bhh)
                hs.append(hh)
            return {"out": torch.stack(hs, 1), "hT": hh}
        if name == "cell":
            ins["x"] = ins["x"][:, 0]
            add(f"rnn_{act}_{name}", "rnn_cell", {"relu": act == "relu"}, ins,
                lambda x, h0, f=f, **kw: {"h": f(x[:, None], h0=h0, **kw)["hT"]}, list(ins))
        else:
            add(f"rnn_{act}_{name}", "rnn", {"relu": act == "relu"}, ins, f, list(ins))

with open("testdata/e2_golden.json", "w") as fh:
    json.dump({"torch": torch.__version__, "cases": CASES}, fh)
print(len(CASES), "cases")
