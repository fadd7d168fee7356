"""Wires every external dependency to a Debian package, with no download.

Bazel 4.2.3 as Debian ships it needs three shims to run offline:
  * @rules_cc: Debian's bazel-rules-cc loads `use_cpp_toolchain`, which
    Bazel 4.2.3's @bazel_tools lacks; we copy the rules and patch those loads.
  * @rules_java: @bazel_tools refers to it; Debian's bazel-rules-java has it.
  * @remote_coverage_tools: every test depends on it; a local stand-in.
The libraries themselves (Abseil, GoogleTest/GoogleMock, libzmq + cppzmq,
libpcap, libslirp) are system libraries: their headers are on the compiler's default
search path, and each target here only adds the linker flags.
"""

_RULES_CC = "/usr/share/bazel/rules/cc"
_RULES_JAVA = "/usr/share/bazel/rules/java"

def _debian_rules_cc_impl(rctx):
    src = rctx.path(_RULES_CC)
    if not src.exists:
        fail("%s is missing: install Debian's bazel-rules-cc" % _RULES_CC)

    # A real copy (not symlinks) so that the patched files below never touch
    # the system tree.
    result = rctx.execute(["cp", "-R", "%s/." % src, "."])
    if result.return_code != 0:
        fail("copying %s failed: %s" % (_RULES_CC, result.stderr))

    # Two rule files load a symbol that Bazel 4.2.3 does not have.
    for rel in [
        "cc/private/rules_impl/compiler_flag.bzl",
        "cc/private/rules_impl/cc_flags_supplier.bzl",
    ]:
        text = rctx.read(rel)
        text = text.replace(', "use_cpp_toolchain")', ")").replace(
            "use_cpp_toolchain()",
            '["@bazel_tools//tools/cpp:toolchain_type"]',
        )
        rctx.file(rel, text)

debian_rules_cc = repository_rule(implementation = _debian_rules_cc_impl, local = True)

def _remote_coverage_tools_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "remote_coverage_tools")\n')
    rctx.file("coverage_unavailable.sh", "#!/bin/sh\necho 'coverage is not set up in this offline workspace' >&2\nexit 1\n", executable = True)
    rctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])
sh_binary(name = "coverage_report_generator", srcs = ["coverage_unavailable.sh"])
sh_binary(name = "lcov_merger", srcs = ["coverage_unavailable.sh"])
""")

local_remote_coverage_tools = repository_rule(implementation = _remote_coverage_tools_impl)

def _system_library_impl(rctx):
    """A repository of cc_library targets that only carry linker flags."""
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for header in rctx.attr.required_headers:
        if not rctx.path(header).exists:
            fail("%s is missing: install %s" % (header, rctx.attr.package))
    for name, libs in rctx.attr.targets.items():
        lines.append("cc_library(name = %r, linkopts = %r)" % (name, libs))
    rctx.file("WORKSPACE", "workspace(name = %r)\n" % rctx.name)
    rctx.file("BUILD.bazel", "\n".join(lines) + "\n")

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        "package": attr.string(),
        "required_headers": attr.string_list(),
        "targets": attr.string_list_dict(),
    },
    local = True,
)

def _system_absl_impl(rctx):
    """Abseil targets named like upstream's (@com_google_absl//absl/status),
    each linking the Debian shared libraries that pkg-config names."""
    if not rctx.path("/usr/include/absl/base/config.h").exists:
        fail("Abseil headers are missing: install libabsl-dev")
    packages = {}
    for label, pc in rctx.attr.components.items():
        result = rctx.execute(["pkg-config", "--libs", pc])
        if result.return_code != 0:
            fail("pkg-config %s failed: %s" % (pc, result.stderr))
        pkg, name = label.split(":")
        packages.setdefault(pkg, []).append(
            "cc_library(name = %r, linkopts = %r)" % (name, result.stdout.strip().split(" ")),
        )
    rctx.file("WORKSPACE", 'workspace(name = "com_google_absl")\n')
    rctx.file("BUILD.bazel", "")
    for pkg, rules in packages.items():
        rctx.file(
            pkg + "/BUILD.bazel",
            'package(default_visibility = ["//visibility:public"])\n\n' + "\n".join(rules) + "\n",
        )

system_absl = repository_rule(
    implementation = _system_absl_impl,
    attrs = {"components": attr.string_dict()},
    local = True,
)

def rump_dependencies():
    debian_rules_cc(name = "rules_cc")
    native.local_repository(name = "rules_java", path = _RULES_JAVA)
    local_remote_coverage_tools(name = "remote_coverage_tools")
    system_absl(
        name = "com_google_absl",
        components = {
            "absl/base:base": "absl_base",
            "absl/flags:flag": "absl_flags",
            "absl/flags:parse": "absl_flags_parse",
            "absl/flags:usage": "absl_flags_usage",
            "absl/random:random": "absl_random_random",
            "absl/status:status": "absl_status",
            "absl/status:statusor": "absl_statusor",
            "absl/strings:strings": "absl_strings",
            "absl/strings:str_format": "absl_str_format",
            "absl/strings:cord": "absl_cord",
            "absl/synchronization:synchronization": "absl_synchronization",
            "absl/time:time": "absl_time",
            "absl/container:flat_hash_map": "absl_flat_hash_map",
            "absl/container:flat_hash_set": "absl_flat_hash_set",
            "absl/container:btree": "absl_btree",
            "absl/cleanup:cleanup": "absl_cleanup",
            "absl/types:span": "absl_span",
            "absl/types:optional": "absl_optional",
            "absl/hash:hash": "absl_hash",
        },
    )
    system_library(
        name = "com_google_googletest",
        package = "libgtest-dev and libgmock-dev",
        required_headers = ["/usr/include/gtest/gtest.h", "/usr/include/gmock/gmock.h"],
        targets = {
            "gtest": ["-lgmock", "-lgtest", "-pthread"],
            "gtest_main": ["-lgmock_main", "-lgmock", "-lgtest", "-pthread"],
        },
    )
    system_library(
        name = "zmq",
        package = "libzmq3-dev and cppzmq-dev",
        required_headers = ["/usr/include/zmq.h", "/usr/include/zmq.hpp"],
        targets = {"cppzmq": ["-lzmq"]},
    )
    system_library(
        name = "pcap",
        package = "libpcap-dev",
        required_headers = ["/usr/include/pcap/pcap.h"],
        targets = {"pcap": ["-lpcap"]},
    )
    system_library(
        name = "slirp",
        package = "libslirp-dev",
        required_headers = ["/usr/include/slirp/libslirp.h"],
        targets = {"slirp": ["-lslirp"]},
    )
