// Copyright 2026 The eventpersist Authors.
#include "examples/bank/account.h"

#include "absl/strings/str_cat.h"

namespace bank {

using persistence::Payload;

Account::Account(std::string account_id, int64_t snapshot_every,
                 Reply recovered)
    : id_(std::move(account_id)),
      snapshot_every_(snapshot_every),
      recovered_(recovered) {}

void Account::OnSnapshotOffer(const persistence::SnapshotMetadata&,
                              const Payload& snapshot) {
  if (const AccountState* s = snapshot.As<AccountState>()) state_ = *s;
}

void Account::Apply(const Payload& event) {
  if (const AccountOpened* e = event.As<AccountOpened>()) {
    state_.set_open(true);
    state_.set_owner(e->owner());
  } else if (const Deposited* e = event.As<Deposited>()) {
    state_.set_balance(state_.balance() + e->amount());
  } else if (const Withdrawn* e = event.As<Withdrawn>()) {
    state_.set_balance(state_.balance() - e->amount());
  }
}

void Account::ReceiveRecover(const Payload& event) {
  Apply(event);
  ++replayed_;
}

AccountReport Account::Report() const {
  return {state_, LastSequenceNr(), SnapshotSequenceNr(), replayed_};
}

void Account::OnRecoveryCompleted() { recovered_.Set(Report()); }

void Account::OnRecoveryFailure(const absl::Status& cause) {
  recovered_.Set(cause);
}

void Account::OnPersistFailure(const absl::Status& cause,
                               const persistence::PersistentRepr&) {
  // The actor stops: answer every command still waiting.
  for (Reply& r : in_flight_) r.Set(cause);
  in_flight_.clear();
}

void Account::OnPersistRejected(const absl::Status& cause,
                                const persistence::PersistentRepr&) {
  if (!in_flight_.empty()) {
    in_flight_.front().Set(cause);
    in_flight_.erase(in_flight_.begin());
  }
}

template <typename E>
void Account::PersistAndReply(E event, Reply reply) {
  in_flight_.push_back(reply);
  Persist<E>(std::move(event), [this](const E& e) {
    Apply(Payload::Of(e));
    if (snapshot_every_ > 0 && LastSequenceNr() % snapshot_every_ == 0) {
      SaveSnapshot(Payload::Of(state_));
    }
    Reply done = in_flight_.front();
    in_flight_.erase(in_flight_.begin());
    done.Set(Report());
  });
}

void Account::ReceiveCommand(AccountCommand c) {
  using Kind = AccountCommand::Kind;
  if (c.kind == Kind::kShow) {
    c.reply.Set(Report());
    return;
  }
  if (c.kind == Kind::kOpen) {
    if (state_.open()) {
      c.reply.Set(absl::AlreadyExistsError(
          absl::StrCat("account '", id_, "' is already open")));
      return;
    }
    AccountOpened e;
    e.set_owner(c.owner);
    PersistAndReply(e, c.reply);
    return;
  }
  if (!state_.open()) {
    c.reply.Set(absl::FailedPreconditionError(
        absl::StrCat("account '", id_, "' is not open; open it first")));
    return;
  }
  if (c.amount <= 0) {
    c.reply.Set(absl::InvalidArgumentError(
        absl::StrCat("amount must be positive, got ", c.amount)));
    return;
  }
  if (c.kind == Kind::kDeposit) {
    Deposited e;
    e.set_amount(c.amount);
    PersistAndReply(e, c.reply);
    return;
  }
  if (c.amount > state_.balance()) {
    c.reply.Set(absl::FailedPreconditionError(
        absl::StrCat("insufficient funds in '", id_, "': balance ",
                     state_.balance(), ", withdrawal ", c.amount)));
    return;
  }
  Withdrawn e;
  e.set_amount(c.amount);
  PersistAndReply(e, c.reply);
}

}  // namespace bank
