"""The PyTorch anchor that a researcher would actually run: the MambaFormer authors' own model code
(their mamba_ssm fork and Hugging Face GPT-2, built by their build_model) timed for one training step as
their train_step does it (zero_grad, forward, MSE, backward, clip_grad_norm_, Adam step, and the two
.item() reads of loss and gradient norm), at the sizes of bench/gpu.ts.

    python3 bench/pytorch_authors.py AUTHORS_CHECKOUT [--scan-build DIR] [--modes reference,cuda,compile]
                                     [--sizes paper,classroom] [--case-timeout SECONDS] [--json]

AUTHORS_CHECKOUT: a clone of the authors' repository (src/models.py, mamba/mamba_ssm). Nothing of it is
copied here; it is put on sys.path. Their modules import packages that a timing run does not need
(causal_conv1d's CUDA kernels, scikit-learn, xgboost, tqdm): where one is missing it is replaced by an
empty module, and causal_conv1d_fn = None sends Mamba's convolution through nn.Conv1d, as the authors'
code does without that package. Every Mamba module runs with use_fast_path = False (the fused
mamba_inner_fn needs causal_conv1d's kernels), so the selective scan is called on its own:
- reference: mamba_ssm's selective_scan_ref (a Python loop over time), eager;
- compile: the same under torch.compile (default mode);
- cuda: mamba_ssm's CUDA selective scan, built by bench/build_selective_scan.py into --scan-build.
The Transformer has no scan: it is timed eager (reference/cuda rows) and under torch.compile.
fp32, TF32 off. With --json the last stdout line is {"rows": [...], ...}.
"""

import argparse
import json
import sys
import time
import types
from pathlib import Path

import torch

SIZES = {
    "paper": dict(d_model=128, d=20, points=41, n_head=8, batch=64, layers={"transformer": 2, "mamba": 4, "mambaformer": 4}),
    "classroom": dict(d_model=32, d=5, points=11, n_head=4, batch=64, layers={"transformer": 2, "mamba": 4, "mambaformer": 4}),
}


def stub(name, **attrs):
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
    sys.modules[name] = mod
    return mod


def ensure_importable(name, *submodules):
    try:
        __import__(name)
        for sub in submodules:
            __import__(f"{name}.{sub}")
    except ImportError:
        class Placeholder:  # stands for a class the timing never calls
            def __init__(self, *a, **k):
                raise RuntimeError(f"{name} is not installed here")

        def attribute(attr):
            if attr.startswith("__"):
                raise AttributeError(attr)  # module machinery (__file__, __spec__ ...) must see a plain module
            return Placeholder

        root = stub(name, __getattr__=attribute)
        for sub in submodules:
            child = stub(f"{name}.{sub}", __getattr__=attribute)
            setattr(root, sub, child)


def import_authors(checkout: Path, scan_build):
    stub("causal_conv1d", causal_conv1d_fn=None, causal_conv1d_update=None)
    stub("causal_conv1d_cuda")
    have_cuda_scan = False
    if scan_build:
        sys.path.insert(0, str(Path(scan_build).resolve()))
        try:
            import selective_scan_cuda  # noqa: F401

            have_cuda_scan = True
        except ImportError as e:
            print(f"pytorch_authors: the CUDA selective scan is not importable ({e}); no cuda rows", file=sys.stderr)
    if not have_cuda_scan:
        stub("selective_scan_cuda")
    ensure_importable("tqdm")
    ensure_importable("xgboost")
    ensure_importable("sklearn", "svm", "linear_model", "tree")
    # their generation utilities (never used here) import output classes that newer transformers renamed
    import transformers.generation as generation

    for old, new in (("GreedySearchDecoderOnlyOutput", "GenerateDecoderOnlyOutput"),
                     ("SampleDecoderOnlyOutput", "GenerateDecoderOnlyOutput")):
        if not hasattr(generation, old):
            setattr(generation, old, getattr(generation, new))
    sys.path[:0] = [str(checkout / "src"), str(checkout / "mamba")]
    import models  # the authors' src/models.py
    from mamba_ssm.modules import mamba_simple
    from mamba_ssm.ops import selective_scan_interface

    return models, mamba_simple, selective_scan_interface, have_cuda_scan


def build(models, arch, s):
    conf = types.SimpleNamespace(
        family={"transformer": "gpt2", "mamba": "mamba", "mambaformer": "tf-mamba"}[arch],
        n_dims=s["d"],
        n_positions=101,
        n_embd=s["d_model"],
        n_layer=s["layers"][arch],
        n_head=s["n_head"],
        interleave=True,
        mixed_attn="mambaformer" if arch == "mambaformer" else None,
    )
    model = models.build_model(conf)
    for m in model.modules():
        if hasattr(m, "use_fast_path"):
            m.use_fast_path = False
    return model


def time_step(model, s, batch, quick, compiled):
    dev = torch.device("cuda")
    model = model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    forward = torch.compile(model) if compiled else model
    xs = torch.randn(batch, s["points"], s["d"], device=dev)
    w = torch.randn(batch, s["d"], 1, device=dev)
    ys = (xs @ w)[..., 0]
    ys_padded = torch.zeros_like(xs)  # their data path zero-pads y to x's width before interleaving
    ys_padded[..., 0] = ys
    loss_func = torch.nn.MSELoss()

    def step():
        opt.zero_grad()
        out = forward(xs, ys_padded)
        loss = loss_func(out, ys)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.detach().item(), norm.cpu().item()

    t0 = time.perf_counter()
    step()
    first_s = time.perf_counter() - t0
    for _ in range(4):
        step()
    torch.cuda.synchronize()
    n = 2 if quick else 20
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000 / n)
    times.sort()
    return times[1], first_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkout")
    ap.add_argument("--scan-build")
    ap.add_argument("--modes", default="reference,cuda,compile")
    ap.add_argument("--sizes", default="paper,classroom")
    ap.add_argument("--archs", default="transformer,mamba,mambaformer")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--case-timeout",
        type=float,
        default=0,
        help="run each (mode, size, arch) in its own process, stopped after this many seconds (0: in this one)",
    )
    a = ap.parse_args()
    if a.case_timeout > 0:
        isolated(a)
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    models, mamba_simple, interface, have_cuda_scan = import_authors(Path(a.checkout), a.scan_build)
    rows = []
    # mode by mode, so that the quick rows are printed before torch.compile (which took longer than 6
    # minutes on the Mamba models' Python loop over time on the H200) starts
    for mode in a.modes.split(","):
        for size in a.sizes.split(","):
            s = SIZES[size]
            batch = 4 if a.quick else s["batch"]
            for arch in a.archs.split(","):
                if mode == "cuda" and not have_cuda_scan:
                    continue
                if arch == "transformer" and mode == "cuda":
                    continue  # no scan: the eager row is the reference row
                mamba_simple.selective_scan_fn = (
                    interface.selective_scan_fn if mode == "cuda" else interface.selective_scan_ref
                )
                torch.manual_seed(0)
                model = build(models, arch, s)
                try:
                    ms, first_s = time_step(model, s, batch, a.quick, compiled=(mode == "compile"))
                except Exception as e:  # noqa: BLE001 (a mode that fails is reported, the others still run)
                    print(f"pytorch_authors: {size} {arch} {mode} failed: {e}", file=sys.stderr)
                    continue
                row = {
                    "size": size,
                    "arch": arch,
                    "mode": "eager" if arch == "transformer" and mode == "reference" else mode,
                    "ms": ms,
                    "firstStepS": first_s,
                    "batch": batch,
                    "parameters": sum(p.numel() for p in model.parameters()),
                }
                rows.append(row)
                print(f"{size:9s} {arch:12s} {row['mode']:9s} {ms:8.2f} ms/step (first step {first_s:.1f} s)", flush=True)
    out = {
        "rows": rows,
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0),
        "cudaScan": have_cuda_scan,
    }
    print(json.dumps(out))


def isolated(a):
    """Each case in a child process with a time limit: a torch.compile that never finishes (the Mamba
    models' loop over time did not compile in 6.5 minutes on the H200) costs one case, not the run."""
    import subprocess

    rows, header = [], {}
    for mode in a.modes.split(","):
        for size in a.sizes.split(","):
            for arch in a.archs.split(","):
                cmd = [sys.executable, __file__, a.checkout, "--modes", mode, "--sizes", size, "--archs", arch]
                cmd += ["--scan-build", a.scan_build] if a.scan_build else []
                cmd += ["--quick"] if a.quick else []
                try:
                    done = subprocess.run(cmd, capture_output=True, text=True, timeout=a.case_timeout)
                except subprocess.TimeoutExpired:
                    print(f"{size:9s} {arch:12s} {mode:9s} stopped after {a.case_timeout:.0f} s", flush=True)
                    rows.append({"size": size, "arch": arch, "mode": mode, "error": f"over {a.case_timeout:.0f} s"})
                    continue
                lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
                if done.returncode != 0 or not lines:
                    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                    print(f"{size:9s} {arch:12s} {mode:9s} failed: {tail[0]}", flush=True)
                    continue
                result = json.loads(lines[-1])
                header = {k: v for k, v in result.items() if k != "rows"}
                for row in result["rows"]:
                    rows.append(row)
                    print(f"{size:9s} {arch:12s} {row['mode']:9s} {row['ms']:8.2f} ms/step", flush=True)
    print(json.dumps({"rows": rows, **header}))


if __name__ == "__main__":
    main()
