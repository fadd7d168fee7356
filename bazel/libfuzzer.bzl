"""libfuzzer_test: a libFuzzer target built with clang inside Bazel, then run.

Bazel's C++ rules compile with gcc, which has no libFuzzer. These rules
compile the workspace's sources a second time with clang++
(-fsanitize=fuzzer-no-link,address,undefined), one action per source:

  * an aspect walks a fuzzer's `deps` and compiles the `srcs` of every
    workspace cc_library it reaches, so a library's objects are built once
    and shared by every fuzzer above it (the kernel's sources are behind
    three of them), cached like any other action, and compiled in parallel
    with the rest of the build instead of inside a test;
  * `libfuzzer_binary` links them with the fuzzer's own source and
    Abseil's libraries (from pkg-config, as Debian installs them);
  * `libfuzzer_test` runs the binary over a seed corpus for a bounded time
    (libfuzzer_run.sh).

External repositories (Abseil, GoogleTest) are never compiled here: they
come from the system. The build fails, with the compiler's message, if
clang++ or libFuzzer is missing (Debian packages clang and libclang-rt-dev
/ llvm's compiler-rt come with clang 14).
"""

_COMPILE_FLAGS = [
    "-std=c++20",
    # -O0 with line tables: about two thirds of -O1 -g's build time, which
    # is what these targets mostly cost, for about two thirds of the
    # executions per second.
    "-O0",
    "-gline-tables-only",
    "-fno-omit-frame-pointer",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pthread",
    "-fsanitize=fuzzer-no-link,address,undefined",
    "-fno-sanitize-recover=all",
    "-iquote",
    ".",
]

_LINK_FLAGS = [
    "-pthread",
    "-fsanitize=fuzzer,address,undefined",
]

ClangFuzzInfo = provider(
    doc = "Objects compiled for libFuzzer, and the headers they were built against.",
    fields = {
        "objects": "depset of File: clang objects of this target and its deps",
        "headers": "depset of File: workspace headers of this target and its deps",
    },
)

def _local(files):
    return [f for f in files if f.owner != None and f.owner.workspace_name == ""]

def _compile(ctx, src, headers, prefix):
    obj = ctx.actions.declare_file(
        "%s/%s.o" % (prefix, src.short_path.replace("/", "_").rsplit(".", 1)[0]),
    )
    ctx.actions.run_shell(
        inputs = depset([src], transitive = [headers]),
        outputs = [obj],
        command = 'clang++ "$@"',
        arguments = _COMPILE_FLAGS + ["-c", src.path, "-o", obj.path],
        mnemonic = "ClangFuzzCompile",
        progress_message = "Compiling %s for libFuzzer" % src.short_path,
        use_default_shell_env = True,
    )
    return obj

def _headers_of(rule_attr):
    direct = []
    for attr in ["srcs", "hdrs", "textual_hdrs"]:
        for t in getattr(rule_attr, attr, []):
            direct += [f for f in _local(t.files.to_list()) if not f.path.endswith(".cc")]
    return direct

def _clang_fuzz_aspect_impl(target, ctx):
    deps = [d[ClangFuzzInfo] for d in getattr(ctx.rule.attr, "deps", []) if ClangFuzzInfo in d]
    if target.label.workspace_name != "":
        return [ClangFuzzInfo(objects = depset(), headers = depset())]
    headers = depset(
        _headers_of(ctx.rule.attr),
        transitive = [d.headers for d in deps],
    )
    objects = []
    if ctx.rule.kind == "cc_library":
        for t in getattr(ctx.rule.attr, "srcs", []):
            for src in _local(t.files.to_list()):
                if src.path.endswith(".cc"):
                    objects.append(_compile(ctx, src, headers, ctx.label.name + ".clang_fuzz"))
    return [ClangFuzzInfo(
        objects = depset(objects, transitive = [d.objects for d in deps]),
        headers = headers,
    )]

clang_fuzz_aspect = aspect(
    implementation = _clang_fuzz_aspect_impl,
    attr_aspects = ["deps"],
)

def _libfuzzer_binary_impl(ctx):
    infos = [d[ClangFuzzInfo] for d in ctx.attr.deps]
    header_infos = [d[ClangFuzzInfo] for d in ctx.attr.headers_from]
    headers = depset(transitive = [i.headers for i in infos + header_infos])
    own = [
        _compile(ctx, src, headers, ctx.label.name + ".clang_fuzz")
        for src in ctx.files.srcs
        if src.path.endswith(".cc")
    ]
    objects = depset(own, transitive = [i.objects for i in infos])
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.run_shell(
        inputs = objects,
        outputs = [out],
        # $1: the output; $2: pkg-config modules; $3: more libraries; then
        # the objects.
        command = 'out=$1 mods=$2 libs=$3; shift 3; ' +
                  'absl=$(pkg-config --libs $mods) || ' +
                  '{ echo "pkg-config does not know Abseil (Debian package libabsl-dev)" >&2; exit 1; }; ' +
                  'clang++ ' + " ".join(_LINK_FLAGS) + ' "$@" -o "$out" $absl $libs',
        arguments = [out.path, " ".join(ctx.attr.absl), " ".join(ctx.attr.libs)] +
                    [o.path for o in objects.to_list()],
        mnemonic = "ClangFuzzLink",
        progress_message = "Linking libFuzzer target %s" % ctx.label,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]), executable = out)]

libfuzzer_binary = rule(
    implementation = _libfuzzer_binary_impl,
    executable = True,
    attrs = {
        "srcs": attr.label_list(
            allow_files = [".cc"],
            doc = "Sources compiled into this binary only (the fuzzer's entry point).",
        ),
        "deps": attr.label_list(
            aspects = [clang_fuzz_aspect],
            doc = "Libraries whose workspace sources, transitively, are compiled and linked.",
        ),
        "headers_from": attr.label_list(
            aspects = [clang_fuzz_aspect],
            doc = "Libraries whose headers `srcs` may include, without linking their objects.",
        ),
        "absl": attr.string_list(
            default = ["absl_status", "absl_statusor", "absl_strings", "absl_str_format"],
            doc = "Abseil pkg-config modules to link.",
        ),
        "libs": attr.string_list(doc = "More linker flags (e.g. -lzmq)."),
    },
    doc = "A libFuzzer binary built with clang++ from `srcs` and the sources behind `deps`.",
)

def libfuzzer_test(
        name,
        fuzzer,
        seed_writer,
        deps = [],
        srcs = [],
        headers_from = [],
        runs = 100000,
        max_len = None,
        absl = None,
        libs = [],
        **kwargs):
    """A libFuzzer binary (`name`_bin) and an sh_test that runs it.

    The test writes the seed corpus with `seed_writer`, then runs the
    fuzzer for FUZZ_RUNS inputs (default `runs`) or FUZZ_SECONDS (default
    20), whichever comes first, and fails on a crash, a sanitizer report,
    a leak or a timeout, leaving the input in the test's undeclared
    outputs.
    """
    bin_kwargs = {}
    if absl != None:
        bin_kwargs["absl"] = absl
    libfuzzer_binary(
        name = name + "_bin",
        testonly = True,
        srcs = [fuzzer] + srcs,
        deps = deps,
        headers_from = headers_from,
        libs = libs,
        **bin_kwargs
    )
    args = ["--runs %d" % runs]
    if max_len != None:
        args.append("--max-len %d" % max_len)
    native.sh_test(
        name = name,
        srcs = ["//bazel:libfuzzer_run.sh"],
        args = args + [
            "--",
            "$(rootpath %s)" % seed_writer,
            "$(rootpath :%s_bin)" % name,
        ],
        data = [seed_writer, ":%s_bin" % name],
        **kwargs
    )
