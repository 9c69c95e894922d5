#!/usr/bin/env bash
# Packs a Node.js program of this repository for a Linux GPU machine that has the NVIDIA driver but
# no Node.js, so that it runs TensorFlow.js on the GPU through WebGPU (the `webgpu` package's Dawn
# addon over the NVIDIA Vulkan driver).
#
#   bench/gpu-bundle.sh ENTRY.ts [ENTRY.ts ...]      (from anywhere in the checkout)
#
# Writes .gpu/ at the root of the checkout (ignored by git):
#   <entry>.mjs   each entry and its imports (tfjs too) as one ES module; only `webgpu` stays outside
#   node_modules/webgpu/   the Dawn addon and its loader
#   node.xz       the node binary of this machine, compressed
#   debs/         Debian's Vulkan / GL loader packages, which GPU images often lack
#   run.sh        unpacks the above on the GPU machine and runs one entry
# Copy .gpu/ there (keep it under ~64 MiB) and run:   bash .gpu/run.sh .gpu/<entry>.mjs [args...]
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: bench/gpu-bundle.sh ENTRY.ts [ENTRY.ts ...]" >&2
  exit 2
fi
top=$(git rev-parse --show-toplevel)
cd "$top"
out=.gpu
addon=node_modules/webgpu/dist/linux-x64/dawn.node
if [ ! -f "$addon" ]; then
  echo "gpu-bundle: $addon is missing: run npm ci first (the webgpu package is a dev dependency)" >&2
  exit 1
fi

mkdir -p "$out/debs" "$out/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$out/node_modules/webgpu/"
# the Dawn addon, compressed (21 MB -> 5 MB): the device tool carries at most 64 MiB; run.sh unpacks it
rm -f "$out/node_modules/webgpu/dist/linux-x64/dawn.node"
if [ ! -s "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz" ] || [ "$addon" -nt "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz" ]; then
  xz -6 -T2 -c "$addon" > "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
fi

# node itself, recompressed only when this machine's binary is newer than the packed one
node_bin=$(readlink -f "$(command -v node)")
if [ ! -s "$out/node.xz" ] || [ "$node_bin" -nt "$out/node.xz" ]; then
  # without its symbols (12 MB less; the repository and the bundle together must stay under 64 MiB)
  cp "$node_bin" "$out/node.tmp"
  if command -v strip >/dev/null; then strip "$out/node.tmp"; fi
  xz -9e -T2 -c "$out/node.tmp" > "$out/node.xz"
  rm -f "$out/node.tmp"
fi

# the loaders Dawn opens (libvulkan) and the GL libraries it links, downloaded once, never installed here
if ! compgen -G "$out/debs/libvulkan1_*.deb" > /dev/null; then
  state=$(mktemp -d)
  mkdir -p "$state/partial"
  apt_opts=(-o APT::Architecture=amd64 -o APT::Architectures=amd64 -o "Dir::State::Lists=$state")
  apt-get "${apt_opts[@]}" update -qq > /dev/null
  (cd "$out/debs" && apt-get "${apt_opts[@]}" download \
    libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 > /dev/null 2>&1)
  rm -rf "$state"
fi

# one ES module per entry; `require` is provided for the CommonJS parts of the bundle
for entry in "$@"; do
  base=$(basename "${entry%.*}")
  npx esbuild "$entry" --bundle --platform=node --format=esm --log-level=warning \
    --main-fields=module,main --external:webgpu \
    --banner:js="import { createRequire as __iclCreateRequire } from 'node:module'; const require = __iclCreateRequire(import.meta.url);" \
    --outfile="$out/$base.mjs"
done

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: bash .gpu/run.sh .gpu/ENTRY.mjs [args...]
set -e
dir=$(cd "$(dirname "$0")" && pwd)
for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" /; done
ldconfig
# the NVIDIA Vulkan driver of the machine; Dawn needs a runtime directory
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
if [ ! -x /tmp/node ]; then
  xz -dc "$dir/node.xz" > /tmp/node
  chmod +x /tmp/node
fi
addon="$dir/node_modules/webgpu/dist/linux-x64/dawn.node"
if [ ! -s "$addon" ]; then
  xz -dc "$addon.xz" > "$addon.tmp" && mv "$addon.tmp" "$addon"
fi
entry=$1
shift
cd "$dir"
exec /tmp/node "$(basename "$entry")" "$@"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
echo "gpu-bundle: copy $out/ to the GPU machine, then run: bash $out/run.sh $out/<entry>.mjs [args...]"
