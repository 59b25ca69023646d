// Copyright 2026 The eventpersist Authors.
#include "examples/bank/account.h"

#include "gtest/gtest.h"
#include "persistence/runtime/runtime_test_util.h"

namespace bank {
namespace {

class AccountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    system_ = persistence::testing::NewTestSystem(
        persistence::testing::kInMemoryPlugins);
    ASSERT_NE(system_, nullptr);
  }

  persistence::ActorRef<AccountCommand> Spawn(
      const std::string& id, AccountReport* recovered = nullptr) {
    Reply r;
    auto actor = system_->Spawn<Account>(id, 3, r);
    absl::StatusOr<AccountReport> report = r.GetFuture().Get();
    EXPECT_TRUE(report.ok()) << report.status();
    if (recovered != nullptr && report.ok()) *recovered = *report;
    return persistence::ActorRef<AccountCommand>(actor);
  }

  static absl::StatusOr<AccountReport> Do(
      persistence::ActorRef<AccountCommand> a, AccountCommand c) {
    auto f = c.reply.GetFuture();
    a.Tell(std::move(c));
    return f.Get();
  }

  std::unique_ptr<persistence::ActorSystem> system_;
};

TEST_F(AccountTest, DepositsWithdrawalsAndDomainErrors) {
  auto a = Spawn("alice");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      Do(a, AccountCommand::Deposit(5, Reply())).status()));
  ASSERT_TRUE(Do(a, AccountCommand::Open("Alice", Reply())).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(
      Do(a, AccountCommand::Open("Alice", Reply())).status()));
  EXPECT_EQ(Do(a, AccountCommand::Deposit(100, Reply()))->state.balance(), 100);
  EXPECT_EQ(Do(a, AccountCommand::Withdraw(30, Reply()))->state.balance(), 70);
  auto over = Do(a, AccountCommand::Withdraw(71, Reply()));
  EXPECT_TRUE(absl::IsFailedPrecondition(over.status()));
  EXPECT_NE(over.status().message().find("insufficient funds"),
            std::string::npos);
  EXPECT_TRUE(absl::IsInvalidArgument(
      Do(a, AccountCommand::Deposit(-1, Reply())).status()));
  EXPECT_EQ(Do(a, AccountCommand::Show(Reply()))->state.balance(), 70);
}

TEST_F(AccountTest, RecoversFromSnapshotAndLaterEvents) {
  auto a = Spawn("bob");
  ASSERT_TRUE(Do(a, AccountCommand::Open("Bob", Reply())).ok());
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(Do(a, AccountCommand::Deposit(10, Reply())).ok());
  // 5 events; a snapshot every 3 events: at 3; events 4, 5 replay.
  std::this_thread::sleep_for(
      std::chrono::milliseconds(100));  // snapshot save is async
  AccountReport recovered;
  Spawn("bob", &recovered);
  EXPECT_EQ(recovered.state.balance(), 40);
  EXPECT_EQ(recovered.state.owner(), "Bob");
  EXPECT_EQ(recovered.snapshot_sequence_nr, 3);
  EXPECT_EQ(recovered.replayed_events, 2);
  EXPECT_EQ(recovered.last_sequence_nr, 5);
}

}  // namespace
}  // namespace bank
