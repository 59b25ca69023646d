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

def persistence_proto_library(name, src, deps = [], grpc = False, visibility = None):
    """A cc_library of the C++ code that Debian's protoc generates from `src`.

    Bazel's own proto rules need downloads; this runs the system protoc.
    With grpc = True it also runs Debian's grpc_cpp_plugin, so the library
    holds the services' stubs (<base>.grpc.pb.h) and links gRPC.
    """
    base = src[:-len(".proto")]
    pkg = native.package_name()

    # In another workspace that vendors this one, sources live under
    # external/<name>/ and outputs under $(GENDIR)/external/<name>/.
    repo = native.repository_name().lstrip("@")
    root = "external/" + repo if repo else "."
    path = (pkg + "/" if pkg else "") + src
    outs = [base + ".pb.h", base + ".pb.cc"]
    cmd = "protoc --proto_path=%s --cpp_out=$(GENDIR)/%s %s" % (root, root, path)
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
        cmd += (" && protoc --proto_path=%s --grpc_out=$(GENDIR)/%s " +
                "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin %s") % (root, root, path)
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = outs,
        cmd = cmd,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + [str(Label("//third_party:protobuf"))] +
               ([str(Label("//third_party:grpc"))] if grpc else []),
        visibility = visibility,
    )

def persistence_py_proto(name, src, visibility = None):
    """The Python modules (<base>_pb2.py, <base>_pb2_grpc.py) that Debian's
    protoc and grpc_python_plugin generate from `src`, for tools and test
    servers written in Python (python3-grpcio, python3-protobuf).

    The modules import each other flat (`import <base>_pb2`): put their
    directory on PYTHONPATH.
    """
    base = src[:-len(".proto")]
    pkg = native.package_name()
    repo = native.repository_name().lstrip("@")
    root = "external/" + repo if repo else "."
    src_dir = root + ("/" + pkg if pkg else "")
    out_dir = "$(GENDIR)/" + src_dir
    native.genrule(
        name = name,
        srcs = [src],
        outs = [base + "_pb2.py", base + "_pb2_grpc.py"],
        cmd = ("protoc --proto_path=%s --python_out=%s --grpc_out=%s " +
               "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin %s") % (src_dir, out_dir, out_dir, src_dir + "/" + src),
        visibility = visibility,
    )
