"""The project's wrappers around the native C++ rules.

Every package loads its rules from here, so copts, warnings-as-errors and
alwayslink for self-registering plugins live in one place.
"""

PROJECT_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    # Debian's cpp-hocon and boost headers trip these; our code does not.
    "-Wno-deprecated-declarations",
]

def persistence_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = PROJECT_COPTS + copts, **kwargs)

def persistence_cc_binary(name, copts = [], **kwargs):
    native.cc_binary(name = name, copts = PROJECT_COPTS + copts, **kwargs)

def persistence_cc_test(name, copts = [], deps = [], **kwargs):
    native.cc_test(
        name = name,
        copts = PROJECT_COPTS + copts,
        deps = deps + [
            str(Label("//third_party:gtest_main")),
            str(Label("//bazel:tsan_suppressions")),
        ],
        **kwargs
    )

def embedded_reference_conf(name, src, visibility = None):
    """A cc_library that compiles `src` (a HOCON reference.conf) into the binary.

    The text registers itself at static-initialization time; the runtime's
    config loader merges every registered reference.conf under the user's
    application.conf.
    """
    gen = name + "_embed.cc"
    native.genrule(
        name = name + "_embed",
        srcs = [src],
        outs = [gen],
        cmd = ("(echo '#include \"persistence/api/reference_conf.h\"'; " +
               "echo 'PERSISTENCE_REGISTER(::persistence::ReferenceConfRegistry, \"$(location " + src + ")\", R\"PERSISTENCE_CONF('; " +
               "cat $(location " + src + "); " +
               "echo ')PERSISTENCE_CONF\");') > $@"),
    )
    native.cc_library(
        name = name,
        srcs = [gen],
        deps = [str(Label("//persistence/api:config"))],
        alwayslink = True,
        visibility = visibility,
    )

def persistence_proto_library(name, src, deps = [], visibility = None):
    """A cc_library of the C++ code that Debian's protoc generates from `src`.

    Bazel's own proto rules need downloads; this runs the system protoc.
    """
    base = src[:-len(".proto")]
    pkg = native.package_name()

    # In another workspace that vendors this one, sources live under
    # external/<name>/ and outputs under $(GENDIR)/external/<name>/.
    repo = native.repository_name().lstrip("@")
    root = "external/" + repo if repo else "."
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = [base + ".pb.h", base + ".pb.cc"],
        cmd = "protoc --proto_path=%s --cpp_out=$(GENDIR)/%s %s" % (
            root,
            root,
            (pkg + "/" if pkg else "") + src,
        ),
    )
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc"],
        hdrs = [base + ".pb.h"],
        deps = deps + [str(Label("//third_party:protobuf"))],
        visibility = visibility,
    )
