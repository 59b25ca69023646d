// Copyright 2026 The eventpersist Authors.
//
// bank: event-sourced bank accounts on the embedded default (RocksDB).
//
//   bank open alice "Alice Liddell" deposit alice 100 withdraw alice 30
//   bank show alice            # a later run recovers the state
//   bank load alice 20000      # a load generator, with a progress line
//
// Each run performs the commands it is given, persisting their events; the
// next run recovers each account (snapshot, then the events after it) and
// says how. The backend is chosen by config alone (--config=FILE).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "examples/bank/account.h"
#include "examples/bank/bank_conf.h"
#include "persistence/api/reference_conf.h"
#include "persistence/runtime/actor_system.h"

namespace bank {
namespace {

constexpr char kUsage[] =
    R"(usage: bank [--config=FILE] [--data-dir=DIR] COMMAND [COMMAND...]

Event-sourced bank accounts. Each run performs its commands in order and
persists their events; the next run recovers every account it touches.

commands:
  open ACCOUNT OWNER        open an account
  deposit ACCOUNT AMOUNT    add AMOUNT (a positive whole number)
  withdraw ACCOUNT AMOUNT   take AMOUNT out; more than the balance is refused
  show ACCOUNT              print the balance and how it was recovered
  load ACCOUNT EVENTS       deposit 1, EVENTS times (a load generator)
  load-many ACCOUNTS EVENTS deposit 1, EVENTS times, into each of ACCOUNTS
                            accounts load-1, load-2, ... at once: their
                            writes share group commits

options:
  --config=FILE    HOCON over the defaults; choose the backend here, e.g.
                   persistence.journal.plugin = "persistence.journal.inmem"
  --data-dir=DIR   where the embedded RocksDB keeps its data
                   (default: ./bank-data in the directory you run from)
  --help           this text

exit status: 0 all commands succeeded, 1 a command was refused,
             2 bad usage, configuration or storage error.
)";

struct Command {
  std::string name;
  std::string account;
  std::string text;      // owner
  int64_t number = 0;    // amount or events
  int64_t accounts = 0;  // load-many
};

// DataLocation says where the configured journal keeps its data, for the
// summary: a RocksDB directory, a Redis server, or memory.
std::string DataLocation(const persistence::Config& config) {
  absl::StatusOr<std::string> plugin =
      config.GetString("persistence.journal.plugin");
  if (!plugin.ok()) return "nowhere (no journal configured)";
  auto key = [&](const std::string& k) {
    absl::StatusOr<std::string> v = config.GetString(*plugin + "." + k);
    return v.ok() ? *v : std::string("?");
  };
  const std::string cls = key("class");
  if (cls == "rocksdb.Journal") return "RocksDB at " + key("path");
  if (cls == "redis.Journal") {
    absl::StatusOr<bool> tls = config.GetBool(*plugin + ".tls.enabled");
    const std::string over_tls = tls.ok() && *tls ? " over TLS" : "";
    absl::StatusOr<std::vector<std::string>> seeds =
        config.GetStringList(*plugin + ".cluster-nodes");
    if (seeds.ok() && !seeds->empty()) {
      return absl::StrCat("the Redis Cluster at ", absl::StrJoin(*seeds, ", "),
                          over_tls, ", keys ", key("key-prefix"), "*");
    }
    const std::string socket = key("unix-socket");
    return absl::StrCat("Redis at ",
                        socket.empty() || socket == "?"
                            ? absl::StrCat(key("host"), ":", key("port"))
                            : "unix:" + socket,
                        over_tls, " database ", key("database"), ", keys ",
                        key("key-prefix"), "*");
  }
  if (cls == "inmem.Journal") return "memory only (gone when bank exits)";
  if (cls == "grpc.Journal") return "the remote server at " + key("address");
  return absl::StrCat("the journal at ", *plugin, " (class ", cls, ")");
}

int Usage(const std::string& error) {
  std::cerr << "bank: " << error << "\n\n" << kUsage;
  return 2;
}

absl::StatusOr<std::vector<Command>> ParseCommands(
    const std::vector<std::string>& args) {
  const std::map<std::string, int> arity = {{"open", 2},     {"deposit", 2},
                                            {"withdraw", 2}, {"show", 1},
                                            {"load", 2},     {"load-many", 2}};
  std::vector<Command> commands;
  for (size_t i = 0; i < args.size();) {
    auto it = arity.find(args[i]);
    if (it == arity.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command '", args[i], "'"));
    }
    if (i + static_cast<size_t>(it->second) >= args.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", args[i], "' needs ", it->second, " argument",
                       it->second > 1 ? "s" : ""));
    }
    Command c;
    c.name = args[i];
    c.account = args[i + 1];
    if (c.name == "load-many" &&
        (!absl::SimpleAtoi(c.account, &c.accounts) || c.accounts < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'load-many': '", c.account,
                       "' is not a positive number of accounts"));
    }
    if (c.name == "open") {
      c.text = args[i + 2];
    } else if (it->second == 2) {
      if (!absl::SimpleAtoi(args[i + 2], &c.number)) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", c.name, " ", c.account, "': '", args[i + 2],
                         "' is not a whole number"));
      }
    }
    commands.push_back(c);
    i += 1 + it->second;
  }
  return commands;
}

std::string Describe(const AccountReport& r) {
  return absl::StrCat(
      "balance ", r.state.balance(),
      r.state.owner().empty() ? "" : absl::StrCat(" (", r.state.owner(), ")"));
}

class Bank {
 public:
  Bank(persistence::ActorSystem& system, int64_t snapshot_every)
      : system_(system), snapshot_every_(snapshot_every) {}

  // Get returns the account actor, recovering it on first use; `quiet`
  // leaves out the line that says how it recovered.
  absl::StatusOr<persistence::ActorRef<AccountCommand>> Get(
      const std::string& id, bool quiet = false) {
    auto it = accounts_.find(id);
    if (it != accounts_.end()) return it->second;
    Reply recovered;
    auto actor = system_.Spawn<Account>(id, snapshot_every_, recovered);
    absl::StatusOr<AccountReport> r = recovered.GetFuture().Get();
    if (!r.ok()) return r.status();
    if (quiet) {
    } else if (r->last_sequence_nr == 0) {
      std::cout << id << ": new account\n";
    } else {
      std::cout << id << ": recovered " << Describe(*r) << " from "
                << (r->snapshot_sequence_nr > 0
                        ? absl::StrCat("the snapshot at event ",
                                       r->snapshot_sequence_nr, " + ")
                        : std::string())
                << r->replayed_events << " replayed event"
                << (r->replayed_events == 1 ? "" : "s") << "\n";
    }
    persistence::ActorRef<AccountCommand> ref(actor);
    accounts_.emplace(id, ref);
    return ref;
  }

 private:
  persistence::ActorSystem& system_;
  const int64_t snapshot_every_;
  std::map<std::string, persistence::ActorRef<AccountCommand>> accounts_;
};

absl::StatusOr<AccountReport> Ask(persistence::ActorRef<AccountCommand> account,
                                  AccountCommand command) {
  persistence::Future<absl::StatusOr<AccountReport>> f =
      command.reply.GetFuture();
  account.Tell(std::move(command));
  return f.Get();
}

// Load deposits 1, `events` times, with up to 512 commands in flight, and
// a progress line on a terminal.
absl::StatusOr<AccountReport> Load(
    persistence::ActorRef<AccountCommand> account, const std::string& id,
    int64_t events) {
  using Clock = std::chrono::steady_clock;
  const bool tty = isatty(STDERR_FILENO);
  const auto start = Clock::now();
  auto last_print = start;
  std::deque<persistence::Future<absl::StatusOr<AccountReport>>> in_flight;
  absl::StatusOr<AccountReport> last = absl::UnknownError("no events");
  int64_t done = 0;
  auto finish_one = [&]() -> absl::Status {
    last = in_flight.front().Get();
    in_flight.pop_front();
    if (!last.ok()) return last.status();
    ++done;
    const auto now = Clock::now();
    if (tty && now - last_print > std::chrono::milliseconds(100)) {
      const double s = std::chrono::duration<double>(now - start).count();
      std::fprintf(stderr, "\rload %s: %lld/%lld events, %.0f ev/s   ",
                   id.c_str(), static_cast<long long>(done),
                   static_cast<long long>(events), done / s);
      last_print = now;
    }
    return absl::OkStatus();
  };
  for (int64_t i = 0; i < events; ++i) {
    Reply reply;
    in_flight.push_back(reply.GetFuture());
    account.Tell(AccountCommand::Deposit(1, reply));
    if (in_flight.size() >= 512) {
      if (absl::Status s = finish_one(); !s.ok()) return s;
    }
  }
  while (!in_flight.empty()) {
    if (absl::Status s = finish_one(); !s.ok()) return s;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (tty) std::fprintf(stderr, "\r%70s\r", "");
  std::cout << "load " << id << ": " << events << " events in "
            << absl::StrCat(static_cast<int64_t>(s * 1000)) << " ms ("
            << static_cast<int64_t>(events / (s > 0 ? s : 1)) << " ev/s)\n";
  return last;
}

// LoadMany deposits 1, `events` times, into each of `accounts` accounts
// (load-1, load-2, ...; opened when new), round-robin with a window of
// writes in flight, so the accounts' writes share group commits. A
// progress bar runs on a terminal; the summary names where the data is.
absl::Status LoadMany(Bank& bank, int64_t accounts, int64_t events,
                      const std::string& data) {
  using Clock = std::chrono::steady_clock;
  std::vector<persistence::ActorRef<AccountCommand>> refs;
  for (int64_t a = 1; a <= accounts; ++a) {
    const std::string id = absl::StrCat("load-", a);
    absl::StatusOr<persistence::ActorRef<AccountCommand>> ref =
        bank.Get(id, /*quiet=*/true);
    if (!ref.ok()) return ref.status();
    absl::StatusOr<AccountReport> state =
        Ask(*ref, AccountCommand::Show(Reply()));
    if (!state.ok()) return state.status();
    if (state->state.owner().empty()) {
      absl::StatusOr<AccountReport> opened =
          Ask(*ref, AccountCommand::Open("load", Reply()));
      if (!opened.ok()) return opened.status();
    }
    refs.push_back(*ref);
  }
  const int64_t total = accounts * events;
  const size_t window = static_cast<size_t>(
      std::min<int64_t>(std::max<int64_t>(accounts * 4, 64), 8192));
  const bool tty = isatty(STDERR_FILENO);
  const auto start = Clock::now();
  auto last_print = start;
  std::deque<persistence::Future<absl::StatusOr<AccountReport>>> in_flight;
  int64_t done = 0;
  auto finish_one = [&]() -> absl::Status {
    absl::StatusOr<AccountReport> r = in_flight.front().Get();
    in_flight.pop_front();
    if (!r.ok()) return r.status();
    ++done;
    const auto now = Clock::now();
    if (tty &&
        (now - last_print > std::chrono::milliseconds(100) || done == total)) {
      const double s = std::chrono::duration<double>(now - start).count();
      const int filled = static_cast<int>(30 * done / total);
      std::fprintf(stderr, "\r[%s%s] %3d%% %lld/%lld events, %.0f ev/s ",
                   std::string(filled, '#').c_str(),
                   std::string(30 - filled, '.').c_str(),
                   static_cast<int>(100 * done / total),
                   static_cast<long long>(done), static_cast<long long>(total),
                   s > 0 ? done / s : 0.0);
      last_print = now;
    }
    return absl::OkStatus();
  };
  for (int64_t e = 0; e < events; ++e) {
    for (const persistence::ActorRef<AccountCommand>& ref : refs) {
      Reply reply;
      in_flight.push_back(reply.GetFuture());
      ref.Tell(AccountCommand::Deposit(1, reply));
      if (in_flight.size() >= window) {
        if (absl::Status s = finish_one(); !s.ok()) return s;
      }
    }
  }
  while (!in_flight.empty()) {
    if (absl::Status s = finish_one(); !s.ok()) return s;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  if (tty) std::fprintf(stderr, "\n");
  std::cout << "load-many: " << accounts << " accounts x " << events
            << " events = " << total << " events in "
            << static_cast<int64_t>(s * 1000) << " ms ("
            << static_cast<int64_t>(total / (s > 0 ? s : 1))
            << " ev/s); data: " << data << "\n";
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  std::string config_file;
  std::string data_dir;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
    } else if (a.rfind("--data-dir=", 0) == 0) {
      data_dir = a.substr(11);
    } else if (a.rfind("--", 0) == 0) {
      return Usage(absl::StrCat("unknown option '", a, "'"));
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return Usage("no command given");
  absl::StatusOr<std::vector<Command>> commands = ParseCommands(args);
  if (!commands.ok()) return Usage(std::string(commands.status().message()));

  if (data_dir.empty()) {
    const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");  // bazel run
    data_dir = absl::StrCat(cwd != nullptr ? cwd : ".", "/bank-data");
  }
  // --config over --data-dir over bank.conf over every reference.conf.
  persistence::Config overlay =
      persistence::Config::ParseString(
          absl::StrCat("bank.data-dir = \"", data_dir, "\""), "--data-dir")
          ->WithFallback(
              *persistence::Config::ParseString(kBankConf, "bank.conf"));
  if (!config_file.empty()) {
    absl::StatusOr<persistence::Config> user =
        persistence::Config::ParseFile(config_file);
    if (!user.ok()) {
      std::cerr << "bank: " << user.status().message() << "\n";
      return 2;
    }
    overlay = user->WithFallback(overlay);
  }
  absl::StatusOr<persistence::Config> config = persistence::LoadConfig(overlay);
  if (!config.ok()) {
    std::cerr << "bank: " << config.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<int64_t> snapshot_every =
      config->GetInt("bank.snapshot-every");
  if (!snapshot_every.ok()) {
    std::cerr << "bank: " << snapshot_every.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<persistence::ActorSystem>> system =
      persistence::ActorSystem::Create("bank", *config);
  if (!system.ok()) {
    std::cerr << "bank: " << system.status().message() << "\n";
    return 2;
  }
  Bank bank(**system, *snapshot_every);
  const auto start = std::chrono::steady_clock::now();
  int refused = 0;
  int64_t events = 0;
  const std::string data = DataLocation(*config);
  for (const Command& c : *commands) {
    if (c.name == "load-many") {
      absl::Status loaded = LoadMany(bank, c.accounts, c.number, data);
      if (!loaded.ok()) {
        std::cerr << "bank: load-many: " << loaded.message() << "\n";
        return 2;
      }
      events += c.accounts * c.number;
      continue;
    }
    absl::StatusOr<persistence::ActorRef<AccountCommand>> account =
        bank.Get(c.account);
    if (!account.ok()) {
      std::cerr << "bank: " << c.account << ": " << account.status().message()
                << "\n";
      return 2;
    }
    absl::StatusOr<AccountReport> r;
    if (c.name == "open") {
      r = Ask(*account, AccountCommand::Open(c.text, Reply()));
    } else if (c.name == "deposit") {
      r = Ask(*account, AccountCommand::Deposit(c.number, Reply()));
    } else if (c.name == "withdraw") {
      r = Ask(*account, AccountCommand::Withdraw(c.number, Reply()));
    } else if (c.name == "show") {
      r = Ask(*account, AccountCommand::Show(Reply()));
    } else {
      r = Load(*account, c.account, c.number);
    }
    const std::string what = absl::StrCat(
        c.name, " ", c.account,
        c.name == "show"
            ? ""
            : absl::StrCat(" ", c.number ? absl::StrCat(c.number) : c.text));
    if (!r.ok()) {
      if (absl::IsFailedPrecondition(r.status()) ||
          absl::IsInvalidArgument(r.status()) ||
          absl::IsAlreadyExists(r.status())) {
        std::cout << what << ": refused: " << r.status().message() << "\n";
        ++refused;
        continue;
      }
      std::cerr << "bank: " << what << ": " << r.status().message() << "\n";
      return 2;
    }
    if (c.name != "show") events += c.name == "load" ? c.number : 1;
    std::cout << what << ": " << Describe(*r) << "\n";
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::cout << "done: " << commands->size() << " command"
            << (commands->size() == 1 ? "" : "s")
            << (refused ? absl::StrCat(" (", refused, " refused)") : "") << ", "
            << events << " event" << (events == 1 ? "" : "s")
            << " persisted in " << ms << " ms; data: " << data << "\n";
  return refused ? 1 : 0;
}

}  // namespace
}  // namespace bank

int main(int argc, char** argv) { return bank::Run(argc, argv); }
