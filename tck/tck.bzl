"""The one macro through which a backend is built and joins the kit.

A backend's BUILD.bazel calls `persistence_backend` once. From that call:

  :<name>                   the backend's cc_library (alwayslink, so its
                            classes register themselves), with its
                            reference.conf compiled in
  :config_docs_test         every key of reference.conf is named in the
                            backend's docs (`config_docs`)
  :journal_tck_test         the kit's journal suite (journal = True)
  :snapshot_store_tck_test  the kit's snapshot-store suite
                            (snapshot_store = True)
  :perf                     the perf target, `bazel run -c opt :perf`
                            (only when a raw engine is given)
  :perf_smoke_test          the perf target with small N, so it cannot rot

A capability flag that is off makes its cases skip with the reason, never
pass. A backend in another workspace loads this file as
`@eventpersist//tck:tck.bzl` and calls the macro the same way
(docs/tck.md, docs/vendoring.md).
"""

load("//bazel:defs.bzl", "PROJECT_COPTS", "embedded_reference_conf")

_FLAGS = [
    "supports_atomic_persist_all_of_several_events",
    "supports_rejecting_non_serializable_objects",
    "supports_serialization",
    "supports_metadata",
    "supports_replay_only_last",
    "prevents_concurrent_writers",
    "survives_restart",
]

_SMOKE_ARGS = [
    "--perf_events=300",
    "--perf_iterations=1",
    "--perf_actors=20",
    "--perf_events_per_actor=10",
    "--perf_memory_events=2000",
    "--perf_memory_actors=50",
    "--perf_run_kit=false",
]

def _label(target):
    return str(Label(target))

def _bool(v):
    return "true" if v else "false"

def _flag_values(*flags):
    """The capability flags by name, given in the order of _FLAGS."""
    return {name: flags[i] for i, name in enumerate(_FLAGS)}

def _kit_args(kit_config, values):
    return ["--config=$(rootpath %s)" % kit_config] + [
        "--%s=%s" % (flag, _bool(values[flag]))
        for flag in _FLAGS
    ]

def _kit_suites(prefix, deps, args, data, journal, snapshot_store, size, tags):
    suites = []
    if journal:
        suites.append((prefix + "journal_tck_test", "//tck:journal_spec"))
    if snapshot_store:
        suites.append((prefix + "snapshot_store_tck_test", "//tck:snapshot_store_spec"))
    for test, spec in suites:
        native.cc_test(
            name = test,
            deps = deps + [_label(spec), _label("//tck:tck_main")],
            args = args,
            data = data,
            size = size,
            tags = tags,
        )

def _perf_targets(prefix, deps, args, data, size, tags):
    perf_deps = deps + [_label("//perf:journal_perf"), _label("//tck:journal_spec")]
    native.cc_binary(
        name = prefix + "perf",
        testonly = True,
        deps = perf_deps,
        args = args,
        data = data,
    )
    native.cc_test(
        name = prefix + "perf_smoke_test",
        deps = perf_deps,
        args = args + _SMOKE_ARGS,
        data = data,
        size = size,
        tags = tags,
    )

def persistence_kit(
        name,
        backend,
        kit_config,
        kit_fixture = None,
        journal = True,
        snapshot_store = True,
        supports_atomic_persist_all_of_several_events = True,
        supports_rejecting_non_serializable_objects = False,
        supports_serialization = True,
        supports_metadata = False,
        supports_replay_only_last = False,
        prevents_concurrent_writers = False,
        survives_restart = True,
        raw_engine = None,
        size = "medium",
        tags = [],
        data = []):
    """The kit once more for a backend, under another config: suites
    <name>_journal_tck_test and <name>_snapshot_store_tck_test, and with a
    raw_engine the perf targets <name>_perf and <name>_perf_smoke_test.

    For a backend whose behaviour depends on what is behind it (the grpc
    backend, whose server may host RocksDB or the in-memory store; the
    Redis backend on a cluster). The arguments are those of
    persistence_backend; `backend` is its library.
    """
    values = _flag_values(
        supports_atomic_persist_all_of_several_events,
        supports_rejecting_non_serializable_objects,
        supports_serialization,
        supports_metadata,
        supports_replay_only_last,
        prevents_concurrent_writers,
        survives_restart,
    )
    deps = [backend, _label("//bazel:tsan_suppressions")] + ([kit_fixture] if kit_fixture else [])
    args = _kit_args(kit_config, values)
    _kit_suites(name + "_", deps, args, [kit_config] + data,
                journal, snapshot_store, size, tags)
    if raw_engine:
        _perf_targets(name + "_", deps + [raw_engine], args, [kit_config] + data, size, tags)

def persistence_backend(
        name,
        srcs = [],
        hdrs = [],
        deps = [],
        reference_conf = None,
        config_docs = [],
        kit_config = None,
        kit_fixture = None,
        raw_engine = None,
        journal = True,
        snapshot_store = True,
        supports_atomic_persist_all_of_several_events = True,
        supports_rejecting_non_serializable_objects = False,
        supports_serialization = True,
        supports_metadata = False,
        supports_replay_only_last = False,
        prevents_concurrent_writers = False,
        survives_restart = True,
        size = "medium",
        tags = [],
        data = [],
        visibility = None):
    """A backend: its library, its config check, its kit and perf targets.

    Args:
      name: the library's name; by convention the package's name.
      srcs, hdrs, deps: the library's sources, headers and dependencies. A
        backend depends on @eventpersist//persistence/api and third-party
        libraries only.
      reference_conf: the backend's HOCON defaults (every default lives
        here and nowhere else); compiled into the library.
      config_docs: the documents that must name every key of
        reference_conf in backquotes (README.md, docs/configuration.md).
      kit_config: a HOCON file selecting the backend as the journal and the
        snapshot store, for the kit and perf.
      kit_fixture: a cc_library registering a tck::TckFixture (a fresh
        directory, a server the kit starts); optional.
      raw_engine: a cc_library registering a perf::RawEngine; the perf
        targets exist only when it is given.
      journal, snapshot_store: which of the two plugins the backend has;
        the kit runs the suite of each one it has.
      supports_*, prevents_concurrent_writers, survives_restart: capability
        flags (docs/tck.md).
      size, tags, data: passed to the test targets.
      visibility: of the library.
    """
    if not journal and not snapshot_store:
        fail("persistence_backend %s: a backend has a journal, a snapshot store or both" % name)
    if raw_engine and not journal:
        fail("persistence_backend %s: the perf rows measure a journal; a raw engine needs journal = True" % name)
    if not kit_config:
        fail("persistence_backend %s: kit_config must name the HOCON file that selects the backend for the kit" % name)

    library_deps = list(deps)
    if reference_conf:
        if not config_docs:
            fail("persistence_backend %s: config_docs must name the documents that describe every key of %s" % (name, reference_conf))
        embedded_reference_conf(
            name = name + "_reference_conf",
            src = reference_conf,
        )
        library_deps.append(":" + name + "_reference_conf")
        native.cc_test(
            name = "config_docs_test",
            args = ["--conf=$(rootpath %s)" % reference_conf] +
                   ["$(rootpath %s)" % doc for doc in config_docs],
            data = [reference_conf] + config_docs,
            deps = [_label("//tck:config_docs_check")],
            size = "small",
            tags = tags,
        )

    native.cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        copts = PROJECT_COPTS,
        deps = library_deps,
        alwayslink = True,
        visibility = visibility,
    )

    values = _flag_values(
        supports_atomic_persist_all_of_several_events,
        supports_rejecting_non_serializable_objects,
        supports_serialization,
        supports_metadata,
        supports_replay_only_last,
        prevents_concurrent_writers,
        survives_restart,
    )
    args = _kit_args(kit_config, values)
    common = [":" + name, _label("//bazel:tsan_suppressions")] + ([kit_fixture] if kit_fixture else [])
    test_data = [kit_config] + data
    _kit_suites("", common, args, test_data, journal, snapshot_store, size, tags)

    if raw_engine:
        _perf_targets("", common + [raw_engine], args, test_data, size, tags)
