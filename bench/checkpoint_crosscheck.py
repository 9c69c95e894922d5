"""Cross-check of ICL Lab checkpoints against PyTorch (part 2; part 1 and 3: bench/checkpoint-export.ts).

For each architecture exported by `checkpoint-export.ts` (paper regression size: d 20, D 128, N 41):
  1. build the model in the module layout of the authors' code (krafton-ai/mambaformer-icl):
     Transformer = Garg et al.'s TransformerModel around Hugging Face `GPT2Model` itself;
     Mamba / MambaFormer / standard hybrid / S4 / S4-Mamba = modules named as mamba_ssm v1.1.1's
     `MixerModel` (`layers.{i}.mixer`, `layers.{i}.norm`, `norm_f`) with the mixers written here from
     paper.md (mamba_simple.Mamba with the reference scan, the hybrids' attention, S4D, S4-Mamba);
  2. `load_state_dict(safetensors.torch.load_file(...), strict=False)` and require that the only
     missing keys are the unused ones docs/CHECKPOINTS.md lists and that nothing is unexpected;
  3. compare PyTorch's predictions on the exported prompts with tfjs's, and the loss of the next
     training batch;
  4. take one Adam step in PyTorch and write its full state_dict (`<arch>.torch.safetensors`) and
     its predictions (`<arch>.torch-io.safetensors`) for the load-back check in tfjs.

fp32, TF32 off. Usage: python3 bench/checkpoint_crosscheck.py DIR [--out OUTDIR] [--device cuda|cpu]
Prints one line per model and a JSON summary; exit code 1 if any check fails.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

UNUSED = ("_backbone.wte.weight", "_backbone.embedding.weight")


def unused(name):
    return name in UNUSED or name.endswith(".attn.bias") or name.endswith(".attn.masked_bias")


# ----------------------------------------------------------------------------- mixers


class MambaMixer(nn.Module):
    """mamba_simple.Mamba (d_state 16, d_conv 4, expand 2), selective_scan_ref semantics."""

    def __init__(self, d_model, d_state=16, d_conv=4, expand=2):
        super().__init__()
        self.d_inner = expand * d_model
        self.d_state = d_state
        self.dt_rank = math.ceil(d_model / 16)
        self.in_proj = nn.Linear(d_model, 2 * self.d_inner, bias=False)
        self.conv1d = nn.Conv1d(self.d_inner, self.d_inner, d_conv, groups=self.d_inner, padding=d_conv - 1)
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True)
        self.A_log = nn.Parameter(torch.zeros(self.d_inner, d_state))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False)

    def forward(self, x):
        b, l, _ = x.shape
        xi, z = self.in_proj(x).chunk(2, dim=-1)
        u = F.silu(self.conv1d(xi.transpose(1, 2))[..., :l]).transpose(1, 2)
        dt, bm, cm = torch.split(self.x_proj(u), [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))
        a = -torch.exp(self.A_log)
        a_bar = torch.exp(delta.unsqueeze(-1) * a)
        bu = delta.unsqueeze(-1) * bm.unsqueeze(2) * u.unsqueeze(-1)
        h = torch.zeros(b, self.d_inner, self.d_state, device=x.device)
        ys = []
        for t in range(l):
            h = a_bar[:, t] * h + bu[:, t]
            ys.append((h * cm[:, t].unsqueeze(1)).sum(-1))
        y = torch.stack(ys, dim=1) + u * self.D
        return self.out_proj(y * F.silu(z))


class AttentionMixer(nn.Module):
    """The hybrids' attention block: Linear(D, 3D) -> q, k, v; causal softmax; Linear(D, D)."""

    def __init__(self, d_model, n_head=8):
        super().__init__()
        self.c_attn = nn.Linear(d_model, 3 * d_model)
        self.c_proj = nn.Linear(d_model, d_model)
        self.n_head = n_head

    def forward(self, x):
        b, l, d = x.shape
        hd = d // self.n_head
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(b, l, self.n_head, hd).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(l, l, dtype=torch.bool, device=x.device).triu(1)
        w = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        return self.c_proj((w @ v).transpose(1, 2).reshape(b, l, d))


class S4DKernel(nn.Module):
    def __init__(self, h, n=16):
        super().__init__()
        self.C = nn.Parameter(torch.zeros(h, n // 2, 2))
        self.log_dt = nn.Parameter(torch.zeros(h))
        self.log_A_real = nn.Parameter(torch.zeros(h, n // 2))
        self.A_imag = nn.Parameter(torch.zeros(h, n // 2))

    def forward(self, length):
        dt = torch.exp(self.log_dt)
        c = torch.view_as_complex(self.C)
        a = -torch.exp(self.log_A_real) + 1j * self.A_imag
        dta = a * dt.unsqueeze(-1)
        c = c * (torch.exp(dta) - 1.0) / a
        powers = torch.exp(dta.unsqueeze(-1) * torch.arange(length, device=dt.device))
        return 2 * torch.einsum("hn,hnl->hl", c, powers).real


class S4D(nn.Module):
    """y = K * u + D u (FFT convolution as s4d.py), u: (B, H, L)."""

    def __init__(self, h, n=16, output_linear=True):
        super().__init__()
        self.D = nn.Parameter(torch.zeros(h))
        self.kernel = S4DKernel(h, n)
        if output_linear:
            self.output_linear = nn.Sequential(nn.Conv1d(h, 2 * h, kernel_size=1), nn.GLU(dim=-2))

    def conv(self, u):
        length = u.shape[-1]
        k = self.kernel(length)
        y = torch.fft.irfft(torch.fft.rfft(u, n=2 * length) * torch.fft.rfft(k, n=2 * length), n=2 * length)
        return y[..., :length] + u * self.D.unsqueeze(-1)

    def forward(self, u):
        return self.output_linear(F.gelu(self.conv(u)))


class S4Mixer(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.s4 = S4D(d_model)

    def forward(self, x):
        return self.s4(x.transpose(1, 2)).transpose(1, 2)


class S4MambaMixer(nn.Module):
    def __init__(self, d_model, d_state=16, d_conv=4, expand=2):
        super().__init__()
        di = expand * d_model
        self.in_proj = nn.Linear(d_model, 2 * di, bias=False)
        self.conv1d = nn.Conv1d(di, di, d_conv, groups=di, padding=d_conv - 1)
        self.S4DMamba = S4D(di, d_state, output_linear=False)
        self.out_proj = nn.Linear(di, d_model, bias=False)

    def forward(self, x):
        l = x.shape[1]
        xi, z = self.in_proj(x).chunk(2, dim=-1)
        u = F.silu(self.conv1d(xi.transpose(1, 2))[..., :l])
        y = self.S4DMamba.conv(u).transpose(1, 2) * z
        return self.out_proj(y)


# ----------------------------------------------------------------------------- models


class Block(nn.Module):
    def __init__(self, d_model, mixer):
        super().__init__()
        self.mixer = mixer
        self.norm = nn.LayerNorm(d_model)

    def forward(self, r):
        return r + self.mixer(self.norm(r))


class MixerModel(nn.Module):
    def __init__(self, d_model, mixers):
        super().__init__()
        self.embedding = nn.Embedding(1, d_model)
        self.layers = nn.ModuleList(Block(d_model, m) for m in mixers)
        self.norm_f = nn.LayerNorm(d_model)

    def forward(self, h):
        for layer in self.layers:
            h = layer(h)
        return self.norm_f(h)


class MixerICL(nn.Module):
    def __init__(self, d, d_model, mixers, wpe_rows=0):
        super().__init__()
        self._read_in = nn.Linear(d, d_model)
        if wpe_rows:
            self.wpe = nn.Embedding(wpe_rows, d_model)
        self._backbone = MixerModel(d_model, mixers)
        self._read_out = nn.Linear(d_model, 1)

    def forward(self, zs):
        h = self._read_in(zs)
        if hasattr(self, "wpe"):
            h = h + self.wpe(torch.arange(zs.shape[1], device=zs.device))
        return self._read_out(self._backbone(h))[:, ::2, 0]


class TransformerICL(nn.Module):
    """Garg et al.'s TransformerModel: read-in, HF GPT2Model on inputs_embeds, read-out."""

    def __init__(self, d, d_model, n_layer, n_head, rows):
        super().__init__()
        from transformers import GPT2Config, GPT2Model

        config = GPT2Config(
            n_positions=rows,
            n_embd=d_model,
            n_layer=n_layer,
            n_head=n_head,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            use_cache=False,
        )
        try:
            config._attn_implementation = "eager"
        except Exception:  # newer transformers choose it themselves; sdpa computes the same
            pass
        self._read_in = nn.Linear(d, d_model)
        self._backbone = GPT2Model(config)
        self._read_out = nn.Linear(d_model, 1)

    def forward(self, zs):
        out = self._backbone(inputs_embeds=self._read_in(zs)).last_hidden_state
        return self._read_out(out)[:, ::2, 0]


def build(arch, d=20, d_model=128, n_head=8):
    if arch == "transformer":
        return TransformerICL(d, d_model, 2, n_head, 202)
    mamba = lambda: MambaMixer(d_model)  # noqa: E731
    attn = lambda: AttentionMixer(d_model, n_head)  # noqa: E731
    plans = {
        "mamba": ([mamba() for _ in range(4)], 0),
        "mambaformer": ([mamba(), attn(), mamba(), attn(), mamba()], 0),
        "hybrid": ([attn(), mamba(), attn(), mamba()], 101),
        "s4": ([S4Mixer(d_model) for _ in range(4)], 0),
        "s4-mamba": ([S4MambaMixer(d_model) for _ in range(4)], 0),
    }
    mixers, rows = plans[arch]
    return MixerICL(d, d_model, mixers, rows)


def read(path):
    with safe_open(path, framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--out", default=None)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    out_dir = args.out or args.dir
    os.makedirs(out_dir, exist_ok=True)
    dev = torch.device(args.device)
    archs = [f[: -len(".io.safetensors")] for f in sorted(os.listdir(args.dir)) if f.endswith(".io.safetensors")]
    rows, ok = [], True
    for arch in archs:
        model = build(arch).to(dev)
        state = load_file(os.path.join(args.dir, f"{arch}.safetensors"))
        result = model.load_state_dict(state, strict=False)
        missing = [k for k in result.missing_keys if not unused(k)]
        shapes_ok = all(state[k].shape == v.shape for k, v in model.state_dict().items() if k in state)
        io, _ = read(os.path.join(args.dir, f"{arch}.io.safetensors"))
        tokens = io["tokens"].to(dev)
        with torch.no_grad():
            pred = model(tokens)
        ref = io["pred"].to(dev)
        diff = (pred - ref).abs().max().item()
        rel = diff / max(ref.abs().max().item(), 1e-12)
        # the next training batch: same loss as tfjs (mean squared error over batch and positions)
        bt, by = io["batch_tokens"].to(dev), io["batch_targets"].to(dev)
        loss = F.mse_loss(model(bt), by)
        loss_ref = io["loss_next"].item()
        loss_rel = abs(loss.item() - loss_ref) / abs(loss_ref)
        # one Adam step in PyTorch, then the state_dict goes back to tfjs
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            pred_after = model(tokens)
        # the whole state_dict except GPT-2's 50257 x D token table (unused, and too big to ship back)
        full = {
            k: v.detach().contiguous().cpu()
            for k, v in model.state_dict().items()
            if k != "_backbone.wte.weight"
        }
        save_file(full, os.path.join(out_dir, f"{arch}.torch.safetensors"), metadata={"format": "pt"})
        save_file(
            {"tokens": io["tokens"].contiguous(), "pred": pred_after.detach().cpu().contiguous()},
            os.path.join(out_dir, f"{arch}.torch-io.safetensors"),
        )
        n_params = sum(p.numel() for n, p in model.named_parameters() if not unused(n))
        good = not missing and not result.unexpected_keys and shapes_ok and rel < 1e-4 and loss_rel < 1e-4
        ok = ok and good
        row = {
            "arch": arch,
            "params": n_params,
            "missing": missing,
            "unexpected": result.unexpected_keys,
            "ignored_missing": [k for k in result.missing_keys if unused(k)],
            "max_abs_diff": diff,
            "rel_diff": rel,
            "loss_torch": loss.item(),
            "loss_tfjs": loss_ref,
            "loss_rel_diff": loss_rel,
            "ok": good,
        }
        rows.append(row)
        print(
            f"{arch}: {'OK' if good else 'FAIL'} load_state_dict: missing {missing or 'none'} "
            f"(unused, as documented: {row['ignored_missing'] or 'none'}), unexpected "
            f"{result.unexpected_keys or 'none'}; {n_params} parameters; predictions max |torch - tfjs| "
            f"{diff:.2e} ({rel:.2e} relative); next-batch loss torch {loss.item():.6f} tfjs {loss_ref:.6f}",
            flush=True,
        )
    summary = {"torch": torch.__version__, "device": str(dev), "ok": ok, "rows": rows}
    with open(os.path.join(out_dir, "crosscheck.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({"ok": ok, "torch": torch.__version__, "device": str(dev)}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
