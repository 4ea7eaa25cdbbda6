#!/usr/bin/env bash
# Regenerates the committed op and pass documentation (docs/generated/) from
# the TableGen sources via add_mlir_doc. ctest's docs-up-to-date fails when
# they differ, so run this after changing a .td file.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${DSV2_BUILD_DIR:-$root/build}"
cmake --build "$build" --target mlir-doc
mkdir -p "$root/docs/generated"
cp "$build/docs/dialects/Dsv2Dialect.md" "$root/docs/generated/Dsv2Dialect.md"
cp "$build/docs/dialects/TileDialect.md" "$root/docs/generated/TileDialect.md"
cp "$build/docs/passes/Dsv2Passes.md" "$root/docs/generated/Dsv2Passes.md"
cp "$build/docs/passes/Dsv2CodegenPasses.md" "$root/docs/generated/Dsv2CodegenPasses.md"
cp "$build/docs/passes/Dsv2GpuCodegenPasses.md" "$root/docs/generated/Dsv2GpuCodegenPasses.md"
echo "updated docs/generated/"
