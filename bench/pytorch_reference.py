"""PyTorch reference for bench/gpu.ts: the same three models, sizes and training step.

Transformer (GPT-2 blocks), Mamba (mamba_simple.Mamba with the pure-PyTorch selective_scan_ref
path: a loop over time, as mamba_ssm runs without its CUDA kernels) and MambaFormer
([Mamba, Attn, Mamba, Attn, Mamba]) on linear regression prompts (x and y tokens interleaved,
predictions read at the x tokens), one step = forward, masked MSE, backward,
clip_grad_norm_, Adam. fp32 with TF32 off, eager mode (no torch.compile, no CUDA graphs,
explicit attention ops rather than a fused SDPA kernel), the default foreach Adam.

Sizes (as bench/gpu.ts): paper D 128, d 20, 41 points (L 82), batch 64, Transformer 2 layers,
Mamba / MambaFormer n_layer 4, 8 heads; classroom D 32, d 5, 11 points (L 22), batch 64, 4 heads.

Usage: python3 bench/pytorch_reference.py [--json] [--quick]
With --json the last stdout line is a JSON object {"rows": [...], ...}.
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from torch import nn


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def causal_attention(qkv, n_head):
    b, l, d3 = qkv.shape
    d = d3 // 3
    hd = d // n_head
    q, k, v = qkv.split(d, dim=2)
    q = q.view(b, l, n_head, hd).transpose(1, 2)
    k = k.view(b, l, n_head, hd).transpose(1, 2)
    v = v.view(b, l, n_head, hd).transpose(1, 2)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    mask = torch.ones(l, l, dtype=torch.bool, device=qkv.device).triu(1)
    scores = scores.masked_fill(mask, -1e9)
    w = torch.softmax(scores, dim=-1)
    return (w @ v).transpose(1, 2).reshape(b, l, d)


class Gpt2Block(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.c_fc = nn.Linear(d, 4 * d)
        self.mlp_proj = nn.Linear(4 * d, d)
        self.n_head = n_head

    def forward(self, x):
        x = x + self.c_proj(causal_attention(self.c_attn(self.ln_1(x)), self.n_head))
        return x + self.mlp_proj(gelu_new(self.c_fc(self.ln_2(x))))


class AttentionMixer(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.n_head = n_head

    def forward(self, x):
        return self.c_proj(causal_attention(self.c_attn(x), self.n_head))


def selective_scan_ref(u, delta, A, B, C, D, z):
    """u, delta, z: (b, d, l); A: (d, n); B, C: (b, n, l) -> (b, d, l). Loop over time."""
    delta_a = torch.exp(torch.einsum("bdl,dn->bdln", delta, A))
    delta_b_u = torch.einsum("bdl,bnl,bdl->bdln", delta, B, u)
    x = u.new_zeros(u.shape[0], u.shape[1], A.shape[1])
    ys = []
    for i in range(u.shape[2]):
        x = delta_a[:, :, i] * x + delta_b_u[:, :, i]
        ys.append(torch.einsum("bdn,bn->bd", x, C[:, :, i]))
    y = torch.stack(ys, dim=2) + u * D[None, :, None]
    return y * F.silu(z)


class MambaMixer(nn.Module):
    def __init__(self, d, d_state=16, d_conv=4, expand=2):
        super().__init__()
        di = expand * d
        self.di, self.n, self.r = di, d_state, math.ceil(d / 16)
        self.in_proj = nn.Linear(d, 2 * di, bias=False)
        self.conv1d = nn.Conv1d(di, di, d_conv, groups=di, padding=d_conv - 1)
        self.x_proj = nn.Linear(di, self.r + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.r, di)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(di, 1))
        self.D = nn.Parameter(torch.ones(di))
        self.out_proj = nn.Linear(di, d, bias=False)

    def forward(self, h):
        b, l, _ = h.shape
        xz = self.in_proj(h).transpose(1, 2)  # (b, 2di, l)
        x, z = xz.chunk(2, dim=1)
        x = F.silu(self.conv1d(x)[..., :l])
        x_dbl = self.x_proj(x.transpose(1, 2))  # (b, l, r + 2n)
        dt, B, C = torch.split(x_dbl, [self.r, self.n, self.n], dim=-1)
        delta = F.softplus(self.dt_proj(dt)).transpose(1, 2)  # (b, di, l)
        A = -torch.exp(self.A_log)
        y = selective_scan_ref(x, delta, A, B.transpose(1, 2), C.transpose(1, 2), self.D, z)
        return self.out_proj(y.transpose(1, 2))


class PreNorm(nn.Module):
    def __init__(self, d, mixer):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.mixer = mixer

    def forward(self, x):
        return x + self.mixer(self.norm(x))


class Model(nn.Module):
    def __init__(self, arch, d_model, n_layer, n_head, token_dim, max_len):
        super().__init__()
        self.read_in = nn.Linear(token_dim, d_model)
        self.wpe = None
        if arch == "transformer":
            self.wpe = nn.Parameter(torch.randn(2 * max_len, d_model) * 0.02)
            blocks = [Gpt2Block(d_model, n_head) for _ in range(n_layer)]
        elif arch == "mamba":
            blocks = [PreNorm(d_model, MambaMixer(d_model)) for _ in range(n_layer)]
        else:  # mambaformer: [Mamba, Attn, Mamba, Attn, Mamba] for n_layer 4
            kinds = ["mamba"] + ["attention" if i % 2 == 0 else "mamba" for i in range(n_layer)]
            blocks = [
                PreNorm(d_model, MambaMixer(d_model) if k == "mamba" else AttentionMixer(d_model, n_head))
                for k in kinds
            ]
        self.blocks = nn.ModuleList(blocks)
        self.norm_f = nn.LayerNorm(d_model)
        self.read_out = nn.Linear(d_model, 1)

    def forward(self, tokens):
        h = self.read_in(tokens)
        if self.wpe is not None:
            h = h + self.wpe[: tokens.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.read_out(self.norm_f(h))


SIZES = {
    "paper": dict(d_model=128, d=20, points=41, n_head=8, batch=64, layers={"transformer": 2, "mamba": 4, "mambaformer": 4}),
    "classroom": dict(d_model=32, d=5, points=11, n_head=4, batch=64, layers={"transformer": 2, "mamba": 4, "mambaformer": 4}),
}


def count_kernels(step):
    try:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            step()
            torch.cuda.synchronize()
        return sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
    except Exception:  # noqa: BLE001 (profiler unavailable: count unknown)
        return None


def bench(arch, size, quick):
    s = SIZES[size]
    dev = torch.device("cuda")
    torch.manual_seed(0)
    batch = 4 if quick else s["batch"]
    l = 2 * s["points"]
    model = Model(arch, s["d_model"], s["layers"][arch], s["n_head"], s["d"], 101).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    xs = torch.randn(batch, s["points"], s["d"], device=dev)
    w = torch.randn(batch, s["d"], 1, device=dev)
    ys = (xs @ w)[..., 0]
    tokens = torch.zeros(batch, l, s["d"], device=dev)
    tokens[:, 0::2] = xs
    tokens[:, 1::2, 0] = ys

    def step():
        opt.zero_grad(set_to_none=True)
        pred = model(tokens)[:, 0::2, 0]
        loss = ((pred - ys) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    n = 2 if quick else (20 if size == "paper" else 30)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000 / n)
    times.sort()
    return {
        "arch": arch,
        "size": size,
        "ms": times[1],
        "kernels": count_kernels(step),
        "seqLen": l,
        "batch": batch,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default="paper,classroom")
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    rows = []
    for size in a.sizes.split(","):
        for arch in ["transformer", "mamba", "mambaformer"]:
            r = bench(arch, size, a.quick)
            rows.append(r)
            if not a.json:
                print(f"{size:9s} {arch:12s} {r['ms']:8.2f} ms/step  {r['kernels']} CUDA kernels/step")
    out = {"rows": rows, "torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
