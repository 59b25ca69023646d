// Copyright 2026 The eventpersist Authors.
//
// account.h: Account, the event-sourced bank account of the example.
//
// Commands are validated against the current state, turned into protobuf
// events (bank.proto) and persisted; the handler applies each event. Every
// `snapshot_every` events the whole state is saved as a snapshot, so a
// restart replays only the events after it.
//
// Thread-safety: an actor; send it AccountCommand with Tell and wait on the
// reply promise.
//
// Example:
//
//   Promise<absl::StatusOr<AccountReport>> recovered;
//   auto account = system.Spawn<Account>("alice", 100, recovered);
//   Promise<absl::StatusOr<AccountReport>> reply;
//   ActorRef<AccountCommand>(account).Tell(AccountCommand::Deposit(50, reply));
//   absl::StatusOr<AccountReport> after = reply.GetFuture().Get();
#ifndef EXAMPLES_BANK_ACCOUNT_H_
#define EXAMPLES_BANK_ACCOUNT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "examples/bank/bank.pb.h"
#include "persistence/runtime/persistent_actor.h"

namespace bank {

// AccountReport: the state after a command, and how recovery went.
struct AccountReport {
  AccountState state;
  int64_t last_sequence_nr = 0;
  int64_t snapshot_sequence_nr = 0;  // 0: recovery used no snapshot
  int64_t replayed_events = 0;
};

using Reply = persistence::Promise<absl::StatusOr<AccountReport>>;

struct AccountCommand {
  enum class Kind { kOpen, kDeposit, kWithdraw, kShow };
  Kind kind = Kind::kShow;
  std::string owner;
  int64_t amount = 0;
  Reply reply;

  static AccountCommand Open(std::string owner, Reply r) {
    return {Kind::kOpen, std::move(owner), 0, r};
  }
  static AccountCommand Deposit(int64_t amount, Reply r) {
    return {Kind::kDeposit, "", amount, r};
  }
  static AccountCommand Withdraw(int64_t amount, Reply r) {
    return {Kind::kWithdraw, "", amount, r};
  }
  static AccountCommand Show(Reply r) { return {Kind::kShow, "", 0, r}; }
};

class Account : public persistence::PersistentActor<AccountCommand> {
 public:
  // `recovered` is completed once recovery ends (or fails).
  Account(std::string account_id, int64_t snapshot_every, Reply recovered);

  std::string PersistenceId() const override { return "account-" + id_; }

 protected:
  void OnSnapshotOffer(const persistence::SnapshotMetadata& metadata,
                       const persistence::Payload& snapshot) override;
  void ReceiveRecover(const persistence::Payload& event) override;
  void OnRecoveryCompleted() override;
  void OnRecoveryFailure(const absl::Status& cause) override;
  void OnPersistFailure(const absl::Status& cause,
                        const persistence::PersistentRepr& event) override;
  void OnPersistRejected(const absl::Status& cause,
                         const persistence::PersistentRepr& event) override;
  void ReceiveCommand(AccountCommand command) override;

 private:
  void Apply(const persistence::Payload& event);
  AccountReport Report() const;
  template <typename E>
  void PersistAndReply(E event, Reply reply);

  const std::string id_;
  const int64_t snapshot_every_;
  Reply recovered_;
  AccountState state_;
  int64_t replayed_ = 0;
  // The reply of the command whose event is being persisted, so a failure
  // can answer it before the actor stops.
  std::vector<Reply> in_flight_;
};

}  // namespace bank

#endif  // EXAMPLES_BANK_ACCOUNT_H_
