# -*- Python -*-
# lit configuration for dnnc: Frontend/, Dialect/, Transforms/, dnnc/ and fuzz/.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "DNNC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".dnn", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dnnc_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%examples", os.path.join(config.dnnc_src_root, "examples")))
# Data sets shipped with the sources (data/iris/iris.csv).
config.substitutions.append(("%data", os.path.join(config.dnnc_src_root, "data")))
# The dnn-run tests write and read .npy files with NumPy, which only the system
# Python has.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.environment["FILECHECK_OPTS"] = "-enable-var-scope --allow-unused-prefixes=false"

# DNNC_DATA_DIR and XDG_CACHE_HOME locate MNIST for `dnn-run train --data mnist`, as they do
# for scripts/fetch-mnist.sh (scripts/mnist-dir.sh).
llvm_config.with_system_environment(
    ["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "DNNC_DATA_DIR", "XDG_CACHE_HOME"])
llvm_config.use_default_substitutions()

tool_dirs = [config.dnnc_tools_dir, config.llvm_tools_dir]
fuzzers = ["dnnc-fuzz", "dnnc-fuzz-pipeline", "dnn-fuzz-npy", "dnn-fuzz-safetensors", "dnn-fuzz-descriptor",
           "dnn-fuzz-csv", "dnn-fuzz-idx"]
tools = ["dnnc", "dnn-opt", "dnn-run", "dnn-verify", "dnn-gradcheck"] + [
    ToolSubst(f, unresolved="ignore") for f in fuzzers]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

if config.dnnc_has_fuzzer:
    config.available_features.add("fuzzer")

# --target=cuda compiles kernels with the CUDA toolkit's libdevice and checks
# them with its ptxas; no GPU is needed. Tests of the NVVM phase and of PTX
# say REQUIRES: cuda-toolkit (or ptxas).
cuda_path = os.environ.get("DNNC_CUDA_PATH", "/usr/local/cuda")
config.substitutions.append(("%cuda_path", cuda_path))
if os.path.exists(os.path.join(cuda_path, "nvvm", "libdevice", "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
if os.path.exists(os.path.join(cuda_path, "bin", "ptxas")):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", os.path.join(cuda_path, "bin", "ptxas")))
# The test-only CUDA driver that records what the runtime asks of it
# (test/unit/FakeCUDADriver.cpp), and the toolkit's stub driver.
config.substitutions.append(
    ("%fake_cuda_driver", os.path.join(config.dnnc_obj_root, "lib", "libdnn-fake-cuda.so")))
stub_driver = os.path.join(cuda_path, "lib64", "stubs", "libcuda.so")
if os.path.exists(stub_driver):
    config.available_features.add("cuda-stub-driver")
    config.substitutions.append(("%cuda_stub_driver", stub_driver))
