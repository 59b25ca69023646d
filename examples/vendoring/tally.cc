// Copyright 2026 The eventpersist Authors.
//
// tally: a persistent actor on the vendored RocksDB backend. Each run adds
// its argument to a tally kept as events in a RocksDB journal and prints
// the total; the next run recovers the total from the journal.
//
//   tally DATA_DIR AMOUNT
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "persistence/api/reference_conf.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistent_actor.h"

namespace {

struct Add {
  int64_t amount = 0;
  persistence::Promise<int64_t> total;  // after the event is stored
};

class Tally : public persistence::PersistentActor<Add> {
 public:
  explicit Tally(persistence::Promise<absl::Status> recovered)
      : recovered_(recovered) {}

  std::string PersistenceId() const override { return "tally"; }

  void ReceiveRecover(const persistence::Payload& event) override {
    total_ += std::stoll(*event.As<std::string>());
  }
  void OnRecoveryCompleted() override { recovered_.Set(absl::OkStatus()); }
  void OnRecoveryFailure(const absl::Status& cause) override {
    recovered_.Set(cause);
  }

  void ReceiveCommand(Add add) override {
    Persist<std::string>(absl::StrCat(add.amount),
                         [this, reply = add.total](const std::string& e) {
                           total_ += std::stoll(e);
                           reply.Set(total_);
                         });
  }

 private:
  persistence::Promise<absl::Status> recovered_;
  int64_t total_ = 0;
};

int Fail(const std::string& what) {
  std::cerr << "tally: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t amount = 0;
  if (argc != 3 || !absl::SimpleAtoi(argv[2], &amount)) {
    return Fail("usage: tally DATA_DIR AMOUNT");
  }
  absl::StatusOr<persistence::Config> config =
      persistence::LoadConfigFromString(
          absl::StrCat(
              "persistence.journal.plugin = \"persistence.journal.rocksdb\"\n"
              "persistence.snapshot-store.plugin = "
              "\"persistence.snapshot-store.rocksdb\"\n"
              "persistence.journal.rocksdb.path = \"",
              argv[1], "\"\n"),
          "tally");
  if (!config.ok()) return Fail(config.status().ToString());
  absl::StatusOr<std::unique_ptr<persistence::ActorSystem>> system =
      persistence::ActorSystem::Create("tally", *config);
  if (!system.ok()) return Fail(system.status().ToString());

  persistence::Promise<absl::Status> recovered;
  auto tally = (*system)->Spawn<Tally>(recovered);
  persistence::Future<absl::Status> recovery = recovered.GetFuture();
  if (!recovery.WaitFor(std::chrono::seconds(30))) return Fail("no recovery");
  if (!recovery.Get().ok()) return Fail(recovery.Get().ToString());

  Add add;
  add.amount = amount;
  persistence::Future<int64_t> total = add.total.GetFuture();
  persistence::ActorRef<Add>(tally).Tell(std::move(add));
  if (!total.WaitFor(std::chrono::seconds(30))) return Fail("no reply");
  std::cout << "total " << total.Get() << "\n";
  return 0;
}
