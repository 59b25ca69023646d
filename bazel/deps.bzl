"""What a workspace needs to build eventpersist offline with Debian's Bazel.

Debian's Bazel 4.2.3 (`bazel-bootstrap`) would download three repositories
that no offline machine can fetch. `eventpersist_dependencies()` defines
them locally, like gRPC's `grpc_deps()`:

  rules_java             Debian's `bazel-rules-java`, in /usr/share/bazel.
  rules_cc               Bazel 4.2.3's own tools load @rules_cc//cc:defs.bzl;
                         Debian's `bazel-rules-cc` is too new for it, so a
                         stand-in hands the native C++ rules on.
  remote_coverage_tools  `bazel test` asks for its coverage_report_generator;
                         a stand-in says coverage merging is not available.

This workspace calls it from its own WORKSPACE; a workspace that vendors
eventpersist calls it the same way (docs/vendoring.md):

    local_repository(name = "eventpersist", path = "third_party/eventpersist")
    load("@eventpersist//bazel:deps.bzl", "eventpersist_dependencies")
    eventpersist_dependencies()

A repository the caller defined before the call is left as it is.
"""

_RULES_CC_DEFS = '''"""Stand-in for @rules_cc: hands Bazel 4.2.3's native C++ rules on."""

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)

def fdo_prefetch_hints(**attrs):
    native.fdo_prefetch_hints(**attrs)

def fdo_profile(**attrs):
    native.fdo_profile(**attrs)

def objc_import(**attrs):
    native.objc_import(**attrs)

def objc_library(**attrs):
    native.objc_library(**attrs)
'''

_COVERAGE_BUILD = '''# `bazel test` asks for this target; coverage merging needs a download, so
# this stand-in only explains that it is not available offline.
sh_binary(
    name = "coverage_report_generator",
    srcs = ["coverage_report_generator.sh"],
    visibility = ["//visibility:public"],
)
'''

_COVERAGE_SCRIPT = '''#!/bin/sh
echo "coverage report merging is not available in this offline build" >&2
exit 1
'''

def _stand_in_impl(ctx):
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name, executable = False)
    for path, text in ctx.attr.files.items():
        ctx.file(path, text, executable = path.endswith(".sh"))

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {"files": attr.string_dict(mandatory = True)},
    doc = "A small repository written from the given files.",
)

def eventpersist_dependencies():
    """Defines rules_java, rules_cc and remote_coverage_tools, offline."""
    existing = native.existing_rules()
    if "rules_java" not in existing:
        native.local_repository(
            name = "rules_java",
            path = "/usr/share/bazel/rules/java",
        )
    if "rules_cc" not in existing:
        _stand_in(
            name = "rules_cc",
            files = {
                "BUILD": "",
                "cc/BUILD": "",
                "cc/defs.bzl": _RULES_CC_DEFS,
            },
        )
    if "remote_coverage_tools" not in existing:
        _stand_in(
            name = "remote_coverage_tools",
            files = {
                "BUILD": _COVERAGE_BUILD,
                "coverage_report_generator.sh": _COVERAGE_SCRIPT,
            },
        )
