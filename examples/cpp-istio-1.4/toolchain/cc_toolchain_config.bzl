"""The emscripten C++ toolchain: Bazel's compile and link actions run emcc.sh and emar.sh."""

load("@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl", "tool_path")

# Where emcc finds the C and C++ standard headers, relative to the execution root. Bazel
# accepts includes from these directories without a declared dependency; emcc.sh rewrites
# the dependency files so that they name headers by these relative paths.
_SYSTEM_INCLUDES = [
    "external/emscripten_toolchain/upstream/emscripten/system/include",
    "external/emscripten_toolchain/upstream/emscripten/system/lib",
    "external/emscripten_toolchain/upstream/emscripten/cache",
    "external/emscripten_toolchain/upstream/lib/clang",
]

def _tool(name, path):
    return tool_path(name = name, path = path)

def _impl(ctx):
    tools = [
        _tool("gcc", "emcc.sh"),
        _tool("ld", "emcc.sh"),
        _tool("ar", "emar.sh"),
        # Not used for wasm; Bazel requires every entry.
        _tool("cpp", "/bin/false"),
        _tool("gcov", "/bin/false"),
        _tool("nm", "/bin/false"),
        _tool("objdump", "/bin/false"),
        _tool("strip", "/bin/false"),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "emscripten-wasm",
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "wasm32-unknown-emscripten",
        target_cpu = "wasm",
        target_libc = "unknown",
        compiler = "emscripten",
        abi_version = "unknown",
        abi_libc_version = "unknown",
        tool_paths = tools,
        cxx_builtin_include_directories = _SYSTEM_INCLUDES,
    )

cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
