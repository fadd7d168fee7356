"""cc_sources: the workspace's own sources and headers behind C++ targets.

For builds outside Bazel's C++ rules (the libFuzzer tests compile with
clang++ themselves). An aspect walks `deps` and collects the `srcs` and
`hdrs` files of every target in this workspace (external repositories,
such as Abseil, are left out: they come from the system).
"""

CcSourcesInfo = provider(
    doc = "Workspace source and header files of a target and its deps.",
    fields = {"files": "depset of File"},
)

def _local(files):
    return [f for f in files if f.owner != None and f.owner.workspace_name == ""]

def _cc_sources_aspect_impl(target, ctx):
    direct = []
    for attr in ["srcs", "hdrs", "textual_hdrs"]:
        for t in getattr(ctx.rule.attr, attr, []):
            direct += _local(t.files.to_list())
    transitive = [
        d[CcSourcesInfo].files
        for d in getattr(ctx.rule.attr, "deps", [])
        if CcSourcesInfo in d
    ]
    return [CcSourcesInfo(files = depset(direct, transitive = transitive))]

cc_sources_aspect = aspect(
    implementation = _cc_sources_aspect_impl,
    attr_aspects = ["deps"],
)

def _cc_sources_impl(ctx):
    files = depset(transitive = [d[CcSourcesInfo].files for d in ctx.attr.deps])
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

cc_sources = rule(
    implementation = _cc_sources_impl,
    attrs = {"deps": attr.label_list(aspects = [cc_sources_aspect])},
    doc = "The workspace sources and headers of `deps`, transitively.",
)
