"""The one macro through which a backend joins the compatibility kit.

A backend's BUILD.bazel calls `persistence_backend_tck` once, with its
plugin library, its kit config and its capability flags; the macro makes:

  :journal_tck_test         the journal suite (TCK.md)
  :snapshot_store_tck_test  the snapshot-store suite
  :perf                     the perf target (`bazel run -c opt :perf`)
  :perf_smoke_test          the perf target with small N, so it cannot rot

A flag that is off makes its cases skip with the reason, never pass. A
backend in another workspace loads this file from this repository and
calls the macro the same way.
"""

_FLAGS = [
    "supports_atomic_persist_all_of_several_events",
    "supports_rejecting_non_serializable_objects",
    "supports_serialization",
    "supports_metadata",
    "supports_replay_only_last",
    "prevents_concurrent_writers",
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

def _bool(v):
    return "true" if v else "false"

def persistence_backend_tck(
        plugin,
        config,
        raw_engine,
        fixture = None,
        supports_atomic_persist_all_of_several_events = True,
        supports_rejecting_non_serializable_objects = False,
        supports_serialization = True,
        supports_metadata = False,
        supports_replay_only_last = False,
        prevents_concurrent_writers = False,
        size = "medium",
        tags = [],
        data = []):
    """Creates the kit's test targets and the perf target of one backend.

    Args:
      plugin: the backend's cc_library (alwayslink) that registers its classes.
      config: a HOCON file selecting the backend as journal and snapshot store.
      raw_engine: a cc_library registering the backend's RawEngine (perf).
      fixture: optional cc_library registering a TckFixture (start a server).
      supports_*: capability flags, see TCK.md.
      prevents_concurrent_writers: the journal refuses a stale writer.
      size, tags, data: passed to the test targets.
    """
    values = {
        "supports_atomic_persist_all_of_several_events": supports_atomic_persist_all_of_several_events,
        "supports_rejecting_non_serializable_objects": supports_rejecting_non_serializable_objects,
        "supports_serialization": supports_serialization,
        "supports_metadata": supports_metadata,
        "supports_replay_only_last": supports_replay_only_last,
        "prevents_concurrent_writers": prevents_concurrent_writers,
    }
    args = ["--config=$(rootpath %s)" % config] + [
        "--%s=%s" % (flag, _bool(values[flag]))
        for flag in _FLAGS
    ]
    common = [plugin, str(Label("//bazel:tsan_suppressions"))] + ([fixture] if fixture else [])
    test_data = [config] + data

    native.cc_test(
        name = "journal_tck_test",
        deps = common + [str(Label("//tck:journal_spec")), str(Label("//tck:tck_main"))],
        args = args,
        data = test_data,
        size = size,
        tags = tags,
    )
    native.cc_test(
        name = "snapshot_store_tck_test",
        deps = common + [str(Label("//tck:snapshot_store_spec")), str(Label("//tck:tck_main"))],
        args = args,
        data = test_data,
        size = size,
        tags = tags,
    )
    perf_deps = common + [raw_engine, str(Label("//perf:journal_perf")), str(Label("//tck:journal_spec"))]
    native.cc_binary(
        name = "perf",
        testonly = True,
        deps = perf_deps,
        args = args,
        data = test_data,
    )
    native.cc_test(
        name = "perf_smoke_test",
        deps = perf_deps,
        args = args + _SMOKE_ARGS,
        data = test_data,
        size = size,
        tags = tags,
    )
