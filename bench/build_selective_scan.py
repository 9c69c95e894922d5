"""Builds mamba_ssm's CUDA selective scan (the `selective_scan_cuda` extension the authors trained with)
from a checkout of the authors' repository, for this machine's GPU only and for float32 only.

    python3 bench/build_selective_scan.py AUTHORS_CHECKOUT BUILD_DIR

AUTHORS_CHECKOUT is a clone of the MambaFormer authors' code (it holds mamba/csrc/selective_scan). The
sources are copied into BUILD_DIR and patched there, never in the checkout and never in this repository:
- CUDA 13's CUB has neither `cub::LaneId()` nor `cub::CTA_SYNC()`: the lane index (threadIdx.x % 32,
  the blocks are one-dimensional) and `__syncthreads()` stand in for them;
- the dispatch over input types keeps float only, so that only the float32 sources need compiling
  (the half and bfloat16 instantiations would otherwise be unresolved symbols).
With ninja present the build goes through torch.utils.cpp_extension.load (parallel); without it,
through setuptools. Prints the path of the built module; import it with sys.path including BUILD_DIR.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

FLOAT_ONLY = """
#undef DISPATCH_ITYPE_FLOAT_AND_HALF_AND_BF16
#define DISPATCH_ITYPE_FLOAT_AND_HALF_AND_BF16(ITYPE, NAME, ...)                    \\
    if (ITYPE == at::ScalarType::Float) {                                          \\
        using input_t = float;                                                      \\
        __VA_ARGS__();                                                              \\
    } else {                                                                        \\
        TORCH_CHECK(false, #NAME, " built for float32 only, not for ", toString(ITYPE)); \\
    }
"""

SOURCES = [
    "selective_scan.cpp",
    "selective_scan_fwd_fp32.cu",
    "selective_scan_bwd_fp32_real.cu",
    "selective_scan_bwd_fp32_complex.cu",
]

NVCC_FLAGS = [
    "-O3", "-std=c++17", "--expt-relaxed-constexpr", "--expt-extended-lambda", "--use_fast_math",
    "-lineinfo",
]


def patch(src_dir: Path) -> None:
    for f in src_dir.iterdir():
        if f.suffix not in (".cuh", ".h", ".cu", ".cpp"):
            continue
        text = f.read_text()
        new = text.replace("cub::LaneId()", "(threadIdx.x % 32)").replace("cub::CTA_SYNC()", "__syncthreads()")
        if f.name == "selective_scan.cpp":
            # redefine the input-type dispatch just before its first use
            first = new.index("DISPATCH_ITYPE_FLOAT_AND_HALF_AND_BF16(u.scalar_type()")
            line_start = new.rfind("\n", 0, new.rfind("std::vector<at::Tensor>", 0, first)) + 1
            new = new[:line_start] + FLOAT_ONLY + "\n" + new[line_start:]
        if new != text:
            f.write_text(new)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python3 bench/build_selective_scan.py AUTHORS_CHECKOUT BUILD_DIR")
    authors, build = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
    csrc = authors / "mamba" / "csrc" / "selective_scan"
    if not csrc.is_dir():
        sys.exit(f"build_selective_scan: {csrc} not found: pass a checkout of the authors' repository")
    import torch
    from torch.utils import cpp_extension

    src = build / "src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(csrc, src)
    patch(src)
    major, minor = torch.cuda.get_device_capability(0)
    arch = f"{major}{minor}"
    flags = NVCC_FLAGS + ["-gencode", f"arch=compute_{arch},code=sm_{arch}"]
    t0 = time.time()
    os.environ.setdefault("MAX_JOBS", "6")
    if cpp_extension.is_ninja_available():
        cpp_extension.load(
            name="selective_scan_cuda",
            sources=[str(src / s) for s in SOURCES],
            extra_cflags=["-O3", "-std=c++17"],
            extra_cuda_cflags=flags,
            extra_include_paths=[str(src)],
            build_directory=str(build),
            verbose=True,
        )
    else:
        setup = build / "setup_selective_scan.py"
        setup.write_text(
            "from setuptools import setup\n"
            "from torch.utils.cpp_extension import BuildExtension, CUDAExtension\n"
            f"srcs = {[str(src / s) for s in SOURCES]!r}\n"
            "setup(name='selective_scan_cuda', ext_modules=[CUDAExtension('selective_scan_cuda', srcs,\n"
            f"  extra_compile_args={{'cxx': ['-O3', '-std=c++17'], 'nvcc': {flags!r}}},\n"
            f"  include_dirs=[{str(src)!r}])], cmdclass={{'build_ext': BuildExtension}})\n"
        )
        subprocess.run(
            [sys.executable, str(setup), "build_ext", "--build-lib", str(build), "--build-temp", str(build / "tmp")],
            check=True,
            cwd=build,
        )
    built = sorted(p for p in build.glob("selective_scan_cuda*.so"))
    if not built:
        sys.exit("build_selective_scan: no selective_scan_cuda*.so was produced")
    print(f"built {built[0]} in {time.time() - t0:.0f} s for sm_{arch}")


if __name__ == "__main__":
    main()
