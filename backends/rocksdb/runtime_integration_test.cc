// Copyright 2026 The eventpersist Authors.
//
// The RocksDB backend as the runtime sees it: plugin start failures come
// back from Persistence::Journal(), a corrupt record fails the recovery of
// its persistent actor only, and a persistent actor recovers its events and
// snapshot after the whole actor system (and the database) restarted.
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/database.h"
#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/settings.h"
#include "backends/rocksdb/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/persistent_actor.h"
#include "rocksdb/db.h"

namespace persistence::rocksdb {
namespace {

using testing::FullConfig;
using ::testing::HasSubstr;
using testing::TempDir;

constexpr char kSelect[] =
    "persistence.journal.plugin = \"persistence.journal.rocksdb\"\n"
    "persistence.snapshot-store.plugin = "
    "\"persistence.snapshot-store.rocksdb\"\n";

// ClosedByAllPlugins waits until this process has no RocksDB database
// open. The last plugin may let go on the backend's completer thread
// (inside a completion callback); the database then closes right after, on
// that thread, so a raw RocksDB open of the directory has to wait for it.
bool ClosedByAllPlugins() {
  for (int i = 0; i < 2000; ++i) {
    if (Database::OpenDatabasesForTesting() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

std::unique_ptr<ActorSystem> NewSystem(const std::string& path) {
  absl::StatusOr<Config> config = FullConfig(path, kSelect);
  if (!config.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<ActorSystem>> system =
      ActorSystem::Create("test", *config);
  return system.ok() ? *std::move(system) : nullptr;
}

struct Command {
  enum class Kind { kAdd, kSnapshot, kGet } kind = Kind::kAdd;
  std::string text;
  Promise<std::vector<std::string>> reply;
};

// Log keeps the events it has seen; recovery outcome goes to `recovered`.
class Log : public PersistentActor<Command> {
 public:
  Log(std::string id, Promise<absl::Status> recovered)
      : id_(std::move(id)), recovered_(recovered) {}

  std::string PersistenceId() const override { return id_; }
  void OnSnapshotOffer(const SnapshotMetadata&,
                       const Payload& snapshot) override {
    entries_ = {"snapshot:" + *snapshot.As<std::string>()};
  }
  void ReceiveRecover(const Payload& event) override {
    entries_.push_back(*event.As<std::string>());
  }
  void OnRecoveryCompleted() override { recovered_.Set(absl::OkStatus()); }
  void OnRecoveryFailure(const absl::Status& cause) override {
    recovered_.Set(cause);
  }
  void OnSnapshotSaved(const absl::StatusOr<SnapshotMetadata>& r) override {
    if (snapshot_reply_.has_value()) {
      snapshot_reply_->Set(
          {r.ok() ? "saved" : std::string(r.status().message())});
      snapshot_reply_.reset();
    }
  }

  void ReceiveCommand(Command c) override {
    switch (c.kind) {
      case Command::Kind::kAdd:
        Persist<std::string>(c.text,
                             [this, reply = c.reply](const std::string& e) {
                               entries_.push_back(e);
                               reply.Set(entries_);
                             });
        break;
      case Command::Kind::kSnapshot:
        snapshot_reply_ = c.reply;
        SaveSnapshot(Payload::Of(absl::StrCat(entries_.size())));
        break;
      case Command::Kind::kGet:
        c.reply.Set(entries_);
        break;
    }
  }

 private:
  std::string id_;
  Promise<absl::Status> recovered_;
  std::vector<std::string> entries_;
  std::optional<Promise<std::vector<std::string>>> snapshot_reply_;
};

struct Spawned {
  std::shared_ptr<Log> actor;
  absl::Status recovery;
};

Spawned SpawnLog(ActorSystem& system, const std::string& id) {
  Promise<absl::Status> recovered;
  auto actor = system.Spawn<Log>(id, recovered);
  Future<absl::Status> f = recovered.GetFuture();
  if (!f.WaitFor(std::chrono::seconds(20)))
    return {actor, absl::DeadlineExceededError("no recovery")};
  return {actor, f.Get()};
}

std::vector<std::string> Send(const std::shared_ptr<Log>& actor,
                              Command::Kind kind,
                              const std::string& text = "") {
  Command c;
  c.kind = kind;
  c.text = text;
  Future<std::vector<std::string>> f = c.reply.GetFuture();
  ActorRef<Command>(actor).Tell(std::move(c));
  if (!f.WaitFor(std::chrono::seconds(20))) return {"timeout"};
  return f.Get();
}

TEST(RuntimeIntegration, DataPathThatCannotBeOpenedFailsPluginStart) {
  TempDir dir;
  const std::string file = dir.path() + "/a-file";
  std::ofstream(file) << "x";
  for (const std::string& path :
       {std::string("/proc/nope"), file, file + "/db"}) {
    std::unique_ptr<ActorSystem> system = NewSystem(path);
    ASSERT_NE(system, nullptr);
    absl::StatusOr<ActorRef<JournalRequest>> journal =
        system->Extension<Persistence>().Journal();
    ASSERT_FALSE(journal.ok()) << path;
    EXPECT_THAT(std::string(journal.status().message()), HasSubstr(path));
    EXPECT_THAT(std::string(journal.status().message()),
                HasSubstr("failed to start"));
    absl::StatusOr<ActorRef<SnapshotRequest>> store =
        system->Extension<Persistence>().SnapshotStore();
    ASSERT_FALSE(store.ok()) << path;
    EXPECT_THAT(std::string(store.status().message()), HasSubstr(path));
  }
}

TEST(RuntimeIntegration, RecoversEventsAndSnapshotAfterRestart) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    std::unique_ptr<ActorSystem> system = NewSystem(path);
    ASSERT_NE(system, nullptr);
    Spawned log = SpawnLog(*system, "log-1");
    ASSERT_TRUE(log.recovery.ok()) << log.recovery;
    Send(log.actor, Command::Kind::kAdd, "a");
    Send(log.actor, Command::Kind::kAdd, "b");
    EXPECT_EQ(Send(log.actor, Command::Kind::kSnapshot),
              std::vector<std::string>{"saved"});
    EXPECT_EQ(Send(log.actor, Command::Kind::kAdd, "c"),
              (std::vector<std::string>{"a", "b", "c"}));
  }
  std::unique_ptr<ActorSystem> system = NewSystem(path);
  ASSERT_NE(system, nullptr);
  Spawned log = SpawnLog(*system, "log-1");
  ASSERT_TRUE(log.recovery.ok()) << log.recovery;
  EXPECT_EQ(Send(log.actor, Command::Kind::kGet),
            (std::vector<std::string>{"snapshot:2", "c"}));
  EXPECT_EQ(Send(log.actor, Command::Kind::kAdd, "d"),
            (std::vector<std::string>{"snapshot:2", "c", "d"}));
}

TEST(RuntimeIntegration, CorruptRecordFailsTheRecoveryOfItsIdOnly) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    std::unique_ptr<ActorSystem> system = NewSystem(path);
    ASSERT_NE(system, nullptr);
    for (const char* id : {"healthy", "damaged"}) {
      Spawned log = SpawnLog(*system, id);
      ASSERT_TRUE(log.recovery.ok()) << log.recovery;
      for (const char* text : {"1", "2", "3"})
        Send(log.actor, Command::Kind::kAdd, text);
    }
  }
  ASSERT_TRUE(ClosedByAllPlugins());
  {
    const DatabaseSettings settings =
        DatabaseSettings::FromConfig(testing::JournalSection(path)).value();
    ::rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(::rocksdb::DB::Open(MakeOptions(settings), path, &raw).ok());
    std::unique_ptr<::rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(::rocksdb::WriteOptions(), EventKey("damaged", 2),
                        "\x0a\xff\xff")
                    .ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::unique_ptr<ActorSystem> system = NewSystem(path);
  ASSERT_NE(system, nullptr);
  Spawned damaged = SpawnLog(*system, "damaged");
  EXPECT_EQ(damaged.recovery.code(), absl::StatusCode::kDataLoss)
      << damaged.recovery;
  EXPECT_THAT(std::string(damaged.recovery.message()), HasSubstr("'damaged'"));
  EXPECT_THAT(std::string(damaged.recovery.message()),
              HasSubstr("sequence number 2"));
  Spawned healthy = SpawnLog(*system, "healthy");
  ASSERT_TRUE(healthy.recovery.ok()) << healthy.recovery;
  EXPECT_EQ(Send(healthy.actor, Command::Kind::kGet),
            (std::vector<std::string>{"1", "2", "3"}));
}

}  // namespace
}  // namespace persistence::rocksdb
