# -*- Python -*-
# lit configuration for dsv2c: FileCheck tests of the tools and passes.

import os

import lit.formats

config.name = "dsv2c"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test", ".json"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt",
                   "fixtures", "unit", "README.md"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dsv2_obj_root, "test")

# Our tools first, then LLVM's FileCheck/not/count/split-file.
config.environment["PATH"] = os.pathsep.join(
    [config.dsv2_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"
# Generated kernels are kept between the suite's compiles (most compile
# the same fixtures' kernels again) in the build tree, never in $HOME; the
# key holds dsv2c's own identity, so a rebuilt dsv2c regenerates them.
# test/tools/dsv2c-kernel-cache.test checks the cache itself. A
# DSV2_KERNEL_CACHE in the environment wins (`off` to time the suite
# without it).
config.environment["DSV2_KERNEL_CACHE"] = os.environ.get(
    "DSV2_KERNEL_CACHE") or os.path.join(config.test_exec_root, "kernel-cache")

config.substitutions.append(("%fixtures", os.path.join(config.dsv2_src_root, "test", "fixtures")))
config.substitutions.append(("%src_root", config.dsv2_src_root))
config.substitutions.append(("%dsv2_plugin", config.dsv2_plugin))
config.substitutions.append(("%dsv2_tools_dir", config.dsv2_tools_dir))

import sys
config.substitutions.append(("%python", sys.executable))

# The ASan + UBSan build (tools/dev/sanitize.sh): its binaries need the
# sanitizer runtimes, so dependency checks do not apply.
if config.dsv2_sanitizers:
    config.available_features.add("asan")

# Hosts without AVX-512 can check that engines compiled for one are refused.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" not in cpuinfo.read():
            config.available_features.add("host-without-avx512")
except OSError:
    pass

# ptxas (CUDA toolkit) assembles the generated PTX; tests that need it say
# REQUIRES: ptxas. Looked up on PATH, then in the usual toolkit places.
import shutil
ptxas = shutil.which("ptxas")
for candidate in ["/usr/local/cuda/bin/ptxas"] + sorted(
        __import__("glob").glob("/usr/local/cuda-*/bin/ptxas"), reverse=True):
    if not ptxas and os.access(candidate, os.X_OK):
        ptxas = candidate
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# Multi-rank engines and the MPI collectives plugin: tests that start ranks
# say REQUIRES: mpirun and run `%mpirun -np N ...`. The substitution adds
# what a container or CI run needs: running as root, more ranks than cores,
# no core binding (ranks share the few cores there are), MPI waiting loops
# that yield those cores, and a session directory per run
# (mpirun_isolated.sh: parallel runs raced on a shared one).
mpirun = shutil.which("mpirun")
mpi_plugin = os.path.join(config.dsv2_obj_root, "lib", "libdsv2-collectives-mpi.so")
if mpirun and os.path.exists(mpi_plugin):
    config.available_features.add("mpirun")
    mpi_env = ["OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
               "OMPI_MCA_mpi_yield_when_idle=1"]
    # LeakSanitizer would report Open MPI's own allocations at exit.
    if config.dsv2_sanitizers:
        asan = os.environ.get("ASAN_OPTIONS", "")
        mpi_env.append("ASAN_OPTIONS=" + (asan + ":" if asan else "") + "detect_leaks=0")
    isolated = os.path.join(config.test_source_root, "mpirun_isolated.sh")
    config.substitutions.append(("%mpirun", " ".join(
        ["env"] + mpi_env +
        [isolated, mpirun, "--oversubscribe", "--bind-to", "none"])))
