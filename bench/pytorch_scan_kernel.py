"""The scan kernel's own anchor: mamba_ssm's CUDA selective scan (what the authors trained with), timed
alone at the size of bench/gpu.ts's scan section, forward and backward, beside the copy bandwidth of
the same GPU. It answers how close a hand-written CUDA scan comes to the memory bound at this size,
which is the yardstick for issue 12's ">= 30 % of copy bandwidth".

    python3 bench/pytorch_scan_kernel.py AUTHORS_CHECKOUT --scan-build DIR [--quick] [--json]

AUTHORS_CHECKOUT and --scan-build as for bench/pytorch_authors.py (the extension built by
bench/build_selective_scan.py). The call is mamba_ssm's selective_scan_fn with the inputs of a Mamba
block: u, delta and z of shape (B, Di, L), A (Di, N), B_t and C_t shared by all channels (B, 1, N, L),
D and the Δ bias per channel, softplus on Δ. The forward runs under no_grad; the backward is
torch.autograd.grad of the output against u, delta, A, B, C, D, z and the bias with a fixed upstream
gradient (nothing accumulates into .grad). Minimum traffic is counted as gpu.ts counts ours: every
input read once, every output written once (the forward: u, delta, z, B, C read, y written; the
backward: those and dy read, their gradients written), so the percentages compare like with like
(Δ arrives here as a (B, Di, L) tensor, where our kernel reads dt_low and projects it itself).
fp32, TF32 off; CUDA events, the median of 3 rounds.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pytorch_authors import import_authors  # noqa: E402


def timed(fn, iters):
    """Median milliseconds per call over 3 rounds of `iters` calls, after 3 calls of warm-up."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    rounds = []
    for _ in range(3):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            fn()
        end.record()
        torch.cuda.synchronize()
        rounds.append(start.elapsed_time(end) / iters)
    rounds.sort()
    return rounds[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkout")
    ap.add_argument("--scan-build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("pytorch_scan_kernel: no CUDA device here; nothing timed", file=sys.stderr)
        sys.exit(2)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    _, _, interface, have_cuda = import_authors(Path(a.checkout), a.scan_build)
    if not have_cuda:
        print("pytorch_scan_kernel: mamba_ssm's CUDA selective scan is not importable; nothing timed", file=sys.stderr)
        sys.exit(2)

    b, l, di, n = (4, 128, 64, 16) if a.quick else (64, 1024, 256, 16)
    iters = 3 if a.quick else 20
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(7)

    def randn(*shape, scale=1.0):
        return (torch.randn(*shape, device=dev, generator=g) * scale).requires_grad_(True)

    u = randn(b, di, l)
    delta = randn(b, di, l, scale=0.5)
    z = randn(b, di, l)
    bt = randn(b, 1, n, l, scale=0.7)
    ct = randn(b, 1, n, l, scale=0.7)
    a_log = torch.log(torch.arange(1, n + 1, device=dev, dtype=torch.float32)).repeat(di, 1)
    A = (-torch.exp(a_log)).requires_grad_(True)
    D = randn(di)
    bias = (torch.rand(di, device=dev, generator=g) * 6.5 - 5).requires_grad_(True)
    dy = torch.randn(b, di, l, device=dev, generator=g)
    scan = interface.selective_scan_fn
    inputs = (u, delta, A, bt, ct, D, z, bias)

    def forward():
        return scan(u, delta, A, bt, ct, D, z=z, delta_bias=bias, delta_softplus=True)

    with torch.no_grad():
        fwd_ms = timed(forward, iters)
    out = forward()
    bwd_ms = timed(lambda: torch.autograd.grad(out, inputs, dy, retain_graph=True), iters)

    # the same check a reader would want: the CUDA scan against mamba_ssm's reference on these inputs
    with torch.no_grad():
        ref = interface.selective_scan_ref(u, delta, A, bt, ct, D, z=z, delta_bias=bias, delta_softplus=True)
        rel = ((out.detach() - ref).abs().max() / ref.abs().max()).item()

    # copy bandwidth: a 1 GiB device-to-device copy, bytes read plus written
    src = torch.empty(1 << 28, device=dev)
    dst = torch.empty_like(src)
    copy_ms = timed(lambda: dst.copy_(src), 5 if a.quick else 20)
    copy_gbs = 2 * src.numel() * 4 / (copy_ms * 1e-3) / 1e9

    big = b * di * l * 4
    rows_bc = 2 * b * n * l * 4
    params = di * (n + 2) * 4
    fwd_bytes = 4 * big + rows_bc + params  # u, delta, z, B, C read; y written
    # u, delta, z, dy, B, C read; du, ddelta, dz, dB, dC (and the parameters' gradients) written
    bwd_bytes = 4 * big + rows_bc + params + 3 * big + rows_bc + params

    def row(kernel, ms, nbytes):
        gbs = nbytes / (ms * 1e-3) / 1e9
        return {"kernel": kernel, "ms": ms, "minimumMB": nbytes / 1e6, "GBs": gbs, "percentOfCopy": 100 * gbs / copy_gbs}

    rows = [row("forward", fwd_ms, fwd_bytes), row("backward", bwd_ms, bwd_bytes)]
    print(f"## mamba_ssm's CUDA selective scan alone, B {b}, L {l}, Di {di}, N {n} ({torch.cuda.get_device_name()})")
    print()
    print(f"Copy bandwidth {copy_gbs:.0f} GB/s; CUDA forward against selective_scan_ref: max rel. err {rel:.1e}.")
    print()
    print("| kernel | ms | minimum traffic MB | effective GB/s | % of copy BW |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['kernel']} | {r['ms']:.3f} | {r['minimumMB']:.0f} | {r['GBs']:.0f} | {r['percentOfCopy']:.1f}% |")
    if a.json:
        print(json.dumps({"rows": rows, "copyGBs": copy_gbs, "relErrVsRef": rel, "sizes": [b, l, di, n]}))


if __name__ == "__main__":
    main()
