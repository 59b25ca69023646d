#!/usr/bin/python3
"""An in-memory journal and snapshot store served over eventpersist.remote.v1.

This is a small server, written in Python, for the remote protocol of
backends/grpc/remote.proto (package eventpersist.remote.v1). It hosts both
services of the protocol, Journal and SnapshotStore, and keeps everything in
the memory of the process: nothing survives it. It exists to show that a
server in another language can pass the compatibility kit through the C++
`grpc` backend (the "remote kit"), and as a readable model of what the
protocol asks of a server.

Events and snapshots are opaque bytes here, as the protocol intends: the
server never decodes a `StoredEvent` or `StoredSnapshot`; it only looks at
the ids, sequence numbers and timestamps that travel beside them.

What it supports, in the kit's terms (all seven capability flags on):
atomic writes of several events, the stale-writer check (a write whose
first sequence number is not above the stored highest of its id fails the
whole call with FAILED_PRECONDITION, and nothing of the call is stored),
replay of only the last `max` events (a negative `from`), and metadata /
serialization / rejection of non-serializable events (those are the
client's business: it encodes the records, and the server keeps the bytes).
The kit's restart cases restart the client plugin, not this server, so they
pass too.

Running it (the generated remote_pb2.py and remote_pb2_grpc.py must be on
PYTHONPATH; use an interpreter that has grpcio and protobuf):

    PYTHONPATH=/dir/of/generated /usr/bin/python3 inmem_server.py \\
        --listen=127.0.0.1:0 --port-file=/tmp/port [--token-file=/tmp/token]

  --listen=HOST:PORT  the address to listen on (default 127.0.0.1:0, port 0
                      picks a free one). Only loopback addresses: the server
                      has no TLS, so anything else is refused (exit 2).
  --port-file=FILE    once listening, write the bound port and a newline to
                      FILE (atomically: a temporary file, then a rename).
  --token-file=FILE   a file holding a bearer token; every call must then
                      carry the metadata `authorization: Bearer <token>`,
                      else it fails with UNAUTHENTICATED.

SIGTERM or SIGINT stops it gracefully (calls in flight get a few seconds).
"""

import argparse
import bisect
import hmac
import os
import signal
import sys
import threading
from concurrent import futures

import grpc


def _import_generated():
    """Imports remote_pb2 and remote_pb2_grpc from PYTHONPATH.

    grpc_python_plugin writes the import of the messages module with the
    proto's directory (`from backends.grpc import remote_pb2`) when the
    proto was compiled from the workspace root. When the two modules sit
    flat on PYTHONPATH, that import fails; then this makes the flat
    remote_pb2 reachable under that name as well, and imports again.
    """
    import remote_pb2  # pylint: disable=import-outside-toplevel
    try:
        import remote_pb2_grpc  # pylint: disable=import-outside-toplevel
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith("backends"):
            raise
        import types  # pylint: disable=import-outside-toplevel
        backends = sys.modules.setdefault("backends", types.ModuleType("backends"))
        backends_grpc = sys.modules.setdefault(
            "backends.grpc", types.ModuleType("backends.grpc"))
        backends.grpc = backends_grpc
        backends_grpc.remote_pb2 = remote_pb2
        sys.modules["backends.grpc.remote_pb2"] = remote_pb2
        import remote_pb2_grpc  # pylint: disable=import-outside-toplevel
    return remote_pb2, remote_pb2_grpc


pb, pb_grpc = _import_generated()

PROTOCOL = "eventpersist.remote.v1"
JOURNAL_NAME = "python.InMemoryJournal"
SNAPSHOT_STORE_NAME = "python.InMemorySnapshotStore"

INT64_MAX = (1 << 63) - 1
MAX_MESSAGE_BYTES = 64 << 20  # the client's default max-message-size
REPLAY_CHUNK_EVENTS = 256     # events per ReplayChunk
SHUTDOWN_GRACE_SECONDS = 5.0


class InvalidArgument(Exception):
    """A request the server cannot take (INVALID_ARGUMENT)."""


class StaleWriter(Exception):
    """A write from a stale writer (FAILED_PRECONDITION)."""


# --------------------------------------------------------------------------
# The journal's storage
# --------------------------------------------------------------------------

class _Log:
    """The events of one persistence id.

    `seqs` and `records` are parallel lists in ascending sequence-number
    order (the stale-writer check only ever lets a write append above the
    highest, so appending keeps them sorted). `highest` is the highest
    sequence number ever stored; deletes never lower it.
    """

    __slots__ = ("seqs", "records", "highest")

    def __init__(self):
        self.seqs = []
        self.records = []
        self.highest = 0


class InMemoryJournal:
    """Events per persistence id, behind one lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._logs = {}  # persistence id -> _Log

    def write(self, writes):
        """Stores a list of (persistence_id, [(seq, record), ...]).

        Either every write is stored or, if one is stale, none: the check
        runs over the whole call (in call order, so that the writes of one
        id within a call must ascend too) before anything is stored.
        Returns one status code per write (all 0: a write the server takes
        is stored whole).
        """
        with self._lock:
            highest = {}  # id -> highest so far, counting this call's writes
            for persistence_id, events in writes:
                if persistence_id not in highest:
                    log = self._logs.get(persistence_id)
                    highest[persistence_id] = log.highest if log else 0
                lowest = events[0][0]
                stored = highest[persistence_id]
                if lowest <= stored:
                    raise StaleWriter(
                        f"persistence id '{persistence_id}': write of sequence "
                        f"number {lowest} refused, {stored} is already stored "
                        "(is another incarnation of this actor writing?); "
                        "nothing of the call was stored")
                highest[persistence_id] = events[-1][0]
            # Checked: store everything.
            for persistence_id, events in writes:
                log = self._logs.get(persistence_id)
                if log is None:
                    log = self._logs[persistence_id] = _Log()
                for seq, record in events:
                    log.seqs.append(seq)
                    log.records.append(record)
                log.highest = events[-1][0]
        return [0] * len(writes)

    def delete_to(self, persistence_id, to_sequence_nr):
        """Deletes the events up to to_sequence_nr inclusive."""
        with self._lock:
            log = self._logs.get(persistence_id)
            if log is None:
                return
            cut = bisect.bisect_right(log.seqs, to_sequence_nr)
            del log.seqs[:cut]
            del log.records[:cut]

    def highest(self, persistence_id):
        with self._lock:
            log = self._logs.get(persistence_id)
            return log.highest if log else 0

    def first_of_last(self, persistence_id, to_sequence_nr, count):
        """The sequence number where the last `count` events up to
        to_sequence_nr begin (None when there is none)."""
        with self._lock:
            log = self._logs.get(persistence_id)
            if log is None or count <= 0:
                return None
            end = bisect.bisect_right(log.seqs, to_sequence_nr)
            if end == 0:
                return None
            return log.seqs[max(0, end - count)]

    def read_chunk(self, persistence_id, from_sequence_nr, to_sequence_nr,
                   limit):
        """Up to `limit` stored events with from <= seq <= to, in order.

        A replay reads a chunk at a time, taking the lock for each chunk
        only, so that a long replay neither copies the whole log nor holds
        writers up while the client reads.
        """
        with self._lock:
            log = self._logs.get(persistence_id)
            if log is None:
                return []
            i = bisect.bisect_left(log.seqs, from_sequence_nr)
            end = min(len(log.seqs), i + limit)
            chunk = []
            while i < end and log.seqs[i] <= to_sequence_nr:
                chunk.append((log.seqs[i], log.records[i]))
                i += 1
            return chunk


# --------------------------------------------------------------------------
# The snapshot store's storage
# --------------------------------------------------------------------------

def _matches(criteria, seq, timestamp):
    """Whether a snapshot at (seq, timestamp) matches SelectionCriteria."""
    return (criteria.min_sequence_nr <= seq <= criteria.max_sequence_nr and
            criteria.min_timestamp <= timestamp <= criteria.max_timestamp)


class InMemorySnapshotStore:
    """Snapshots per persistence id and sequence number, behind one lock.

    Each is kept as (timestamp, snapshot bytes).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._snapshots = {}  # persistence id -> {seq: (timestamp, bytes)}

    def save(self, persistence_id, seq, timestamp, snapshot):
        """Stores a snapshot; one at the same id and seq is replaced."""
        with self._lock:
            self._snapshots.setdefault(persistence_id, {})[seq] = (timestamp,
                                                                   snapshot)

    def load(self, persistence_id, criteria):
        """The youngest (highest seq) match: (seq, timestamp, bytes), or None."""
        with self._lock:
            by_seq = self._snapshots.get(persistence_id, {})
            for seq in sorted(by_seq, reverse=True):
                timestamp, snapshot = by_seq[seq]
                if _matches(criteria, seq, timestamp):
                    return seq, timestamp, snapshot
            return None

    def delete_one(self, persistence_id, seq, timestamp):
        """Deletes the snapshot at (id, seq) if timestamp is 0 or the
        stored timestamp is <= it."""
        with self._lock:
            by_seq = self._snapshots.get(persistence_id)
            if not by_seq or seq not in by_seq:
                return
            if timestamp == 0 or by_seq[seq][0] <= timestamp:
                del by_seq[seq]

    def delete_matching(self, persistence_id, criteria):
        with self._lock:
            by_seq = self._snapshots.get(persistence_id)
            if not by_seq:
                return
            for seq in [s for s, (ts, _) in by_seq.items()
                        if _matches(criteria, s, ts)]:
                del by_seq[seq]


# --------------------------------------------------------------------------
# The gRPC services
# --------------------------------------------------------------------------

def _require_id(persistence_id, context):
    if not persistence_id:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "empty persistence id")


def _validate_write(index, write):
    """Checks one AtomicWrite; returns (id, [(seq, record), ...])."""
    persistence_id = write.persistence_id
    if not persistence_id:
        raise InvalidArgument(f"write {index}: empty persistence id")
    if not write.events:
        raise InvalidArgument(
            f"write {index} of '{persistence_id}': an atomic write must not "
            "be empty")
    events = [(e.sequence_nr, e.record) for e in write.events]
    if events[0][0] < 1:
        raise InvalidArgument(
            f"write {index} of '{persistence_id}': sequence numbers start at "
            f"1, got {events[0][0]}")
    for (prev, _), (seq, _) in zip(events, events[1:]):
        if seq != prev + 1:
            raise InvalidArgument(
                f"write {index} of '{persistence_id}': sequence numbers must "
                f"be consecutive, got {prev} then {seq}")
    return persistence_id, events


class JournalService(pb_grpc.JournalServicer):
    """The Journal service over an InMemoryJournal."""

    def __init__(self, journal):
        self._journal = journal

    def Write(self, request, context):
        try:
            writes = [_validate_write(i, w) for i, w in enumerate(request.writes)]
            codes = self._journal.write(writes)
        except InvalidArgument as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        except StaleWriter as e:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(e))
        return pb.WriteResponse(results=[pb.Status(code=c) for c in codes])

    def Replay(self, request, context):
        persistence_id = request.persistence_id
        first = request.from_sequence_nr
        last = request.to_sequence_nr
        left = request.max
        _require_id(persistence_id, context)
        if first >= 0 and first > last:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"from_sequence_nr {first} > to_sequence_nr {last}")
        if left < 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"negative max {left}")
        if first < 0:
            # The last `max` events up to `to`: find where they begin, then
            # replay from there like any other replay.
            first = self._journal.first_of_last(persistence_id, last, left)
            if first is None:
                return
        first = max(first, 1)
        while left > 0 and first <= last and context.is_active():
            chunk = self._journal.read_chunk(
                persistence_id, first, last, min(left, REPLAY_CHUNK_EVENTS))
            if not chunk:
                return
            yield pb.ReplayChunk(events=[
                pb.Event(sequence_nr=seq, record=record)
                for seq, record in chunk])
            left -= len(chunk)
            first = chunk[-1][0] + 1

    def ReadHighestSequenceNr(self, request, context):
        _require_id(request.persistence_id, context)
        # from_sequence_nr is only a hint for where to look; in memory the
        # highest is at hand, so it is not needed.
        return pb.ReadHighestResponse(
            highest_sequence_nr=self._journal.highest(request.persistence_id))

    def DeleteMessagesTo(self, request, context):
        _require_id(request.persistence_id, context)
        if request.to_sequence_nr < 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"negative to_sequence_nr {request.to_sequence_nr}")
        self._journal.delete_to(request.persistence_id, request.to_sequence_nr)
        return pb.DeleteToResponse()

    def Describe(self, request, context):
        return pb.DescribeResponse(protocol=PROTOCOL, journal=JOURNAL_NAME,
                                   snapshot_store=SNAPSHOT_STORE_NAME)


# Load without criteria: the latest snapshot (any sequence number, any
# timestamp).
LATEST = pb.SelectionCriteria(max_sequence_nr=INT64_MAX,
                              max_timestamp=INT64_MAX,
                              min_sequence_nr=0, min_timestamp=0)


class SnapshotService(pb_grpc.SnapshotStoreServicer):
    """The SnapshotStore service over an InMemorySnapshotStore."""

    def __init__(self, store):
        self._store = store

    def Save(self, request, context):
        m = request.metadata
        _require_id(m.persistence_id, context)
        self._store.save(m.persistence_id, m.sequence_nr, m.timestamp,
                         request.snapshot)
        return pb.SaveSnapshotResponse()

    def Load(self, request, context):
        _require_id(request.persistence_id, context)
        criteria = request.criteria if request.HasField("criteria") else LATEST
        found = self._store.load(request.persistence_id, criteria)
        if found is None:
            return pb.LoadSnapshotResponse(found=False)
        seq, timestamp, snapshot = found
        return pb.LoadSnapshotResponse(
            found=True,
            metadata=pb.SnapshotMetadata(persistence_id=request.persistence_id,
                                         sequence_nr=seq, timestamp=timestamp),
            snapshot=snapshot)

    def Delete(self, request, context):
        m = request.metadata
        _require_id(m.persistence_id, context)
        self._store.delete_one(m.persistence_id, m.sequence_nr, m.timestamp)
        return pb.DeleteSnapshotResponse()

    def DeleteMatching(self, request, context):
        _require_id(request.persistence_id, context)
        # An absent criteria reads as all zeros (it matches only a snapshot
        # at sequence number 0 and timestamp 0), as in the C++ server: a
        # delete never widens to "everything" by omission.
        self._store.delete_matching(request.persistence_id, request.criteria)
        return pb.DeleteSnapshotResponse()


# --------------------------------------------------------------------------
# The bearer token
# --------------------------------------------------------------------------

class BearerTokenInterceptor(grpc.ServerInterceptor):
    """Refuses every call that does not carry `authorization: Bearer <token>`."""

    def __init__(self, token):
        self._expected = ("Bearer " + token).encode()

    def _admitted(self, metadata):
        for key, value in metadata or ():
            if key == "authorization":
                given = value.encode() if isinstance(value, str) else value
                return hmac.compare_digest(given, self._expected)
        return False

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or self._admitted(
                handler_call_details.invocation_metadata):
            return handler

        def refuse(request_or_iterator, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          "this server wants a bearer token (metadata "
                          "'authorization: Bearer <token>'); the call has "
                          "none, or another")

        # A refusing handler of the same kind as the method's.
        if handler.request_streaming and handler.response_streaming:
            make = grpc.stream_stream_rpc_method_handler
        elif handler.request_streaming:
            make = grpc.stream_unary_rpc_method_handler
        elif handler.response_streaming:
            make = grpc.unary_stream_rpc_method_handler
        else:
            make = grpc.unary_unary_rpc_method_handler
        return make(refuse,
                    request_deserializer=handler.request_deserializer,
                    response_serializer=handler.response_serializer)


# --------------------------------------------------------------------------
# Starting and stopping
# --------------------------------------------------------------------------

def is_loopback(listen):
    """Whether a listen address (host:port) is on this machine only."""
    host = listen.rsplit(":", 1)[0] if ":" in listen else listen
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host in ("localhost", "::1") or host.startswith("127.")


def write_port_file(path, port):
    """Writes `port` and a newline to `path`, atomically."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="An in-memory eventpersist.remote.v1 server.")
    parser.add_argument("--listen", default="127.0.0.1:0",
                        help="host:port, loopback only (default 127.0.0.1:0)")
    parser.add_argument("--port-file", default="",
                        help="write the bound port here once listening")
    parser.add_argument("--token-file", default="",
                        help="a file with the bearer token every call needs")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if not is_loopback(args.listen):
        print(f"inmem_server: --listen={args.listen} is not a loopback "
              "address; this server has no TLS, so it listens on loopback "
              "only", file=sys.stderr)
        return 2
    token = ""
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            print(f"inmem_server: --token-file: {e}", file=sys.stderr)
            return 2
        if not token:
            print(f"inmem_server: --token-file={args.token_file} holds no "
                  "token", file=sys.stderr)
            return 2

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16,
                                   thread_name_prefix="inmem-server"),
        interceptors=[BearerTokenInterceptor(token)] if token else [],
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
    pb_grpc.add_JournalServicer_to_server(JournalService(InMemoryJournal()),
                                          server)
    pb_grpc.add_SnapshotStoreServicer_to_server(
        SnapshotService(InMemorySnapshotStore()), server)
    try:
        port = server.add_insecure_port(args.listen)
    except RuntimeError as e:  # newer grpc raises instead of returning 0
        print(f"inmem_server: cannot listen on {args.listen}: {e}",
              file=sys.stderr)
        return 1
    if port == 0:
        print(f"inmem_server: cannot listen on {args.listen}", file=sys.stderr)
        return 1
    server.start()

    stopping = threading.Event()

    def on_signal(signum, _frame):
        print(f"inmem_server: signal {signum}, stopping", file=sys.stderr)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"inmem_server: listening on port {port}", file=sys.stderr,
          flush=True)
    # Waiting on the event in slices lets the signal handler run promptly.
    while not stopping.wait(1.0):
        pass
    server.stop(SHUTDOWN_GRACE_SECONDS).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
