// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/snapshot_actor.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/runtime/actor_system.h"

namespace persistence {
namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SnapshotActor::SnapshotActor(std::string plugin_id, SnapshotStore* plugin,
                             CircuitBreakerSettings breaker)
    : plugin_id_(std::move(plugin_id)),
      breaker_settings_(breaker),
      plugin_(plugin) {}

absl::Status SnapshotActor::StartPlugin() {
  breaker_ = std::make_unique<CircuitBreaker>(
      system().scheduler(), breaker_settings_,
      absl::StrCat("snapshot store '", plugin_id_, "'"));
  return plugin_->Start();
}

void SnapshotActor::Receive(SnapshotRequest request) {
  std::visit([this](auto&& r) { Handle(std::move(r)); }, std::move(request));
}

void SnapshotActor::Handle(LoadSnapshot request) {
  SnapshotSelectionCriteria criteria = request.criteria;
  criteria.max_sequence_nr =
      std::min(criteria.max_sequence_nr, request.to_sequence_nr);
  auto reply = std::move(request.reply);
  breaker_
      ->Call<LoadResult>([&] {
        return InMailbox(plugin_->LoadAsync(request.persistence_id, criteria));
      })
      .OnComplete([reply](const LoadResult& r) { reply(r); });
}

void SnapshotActor::Handle(SaveSnapshot request) {
  SnapshotMetadata metadata = request.metadata;
  if (metadata.timestamp == 0) metadata.timestamp = NowMillis();
  auto reply = std::move(request.reply);
  breaker_
      ->Call<absl::Status>([&] {
        return InMailbox(plugin_->SaveAsync(metadata, request.snapshot));
      })
      .OnComplete([reply, metadata](const absl::Status& s) {
        if (s.ok()) {
          reply(metadata);
        } else {
          reply(s);
        }
      });
}

void SnapshotActor::Handle(DeleteSnapshot request) {
  auto reply = std::move(request.reply);
  breaker_
      ->Call<absl::Status>(
          [&] { return InMailbox(plugin_->DeleteAsync(request.metadata)); })
      .OnComplete([reply](const absl::Status& s) { reply(s); });
}

void SnapshotActor::Handle(DeleteSnapshots request) {
  auto reply = std::move(request.reply);
  breaker_
      ->Call<absl::Status>([&] {
        return InMailbox(
            plugin_->DeleteAsync(request.persistence_id, request.criteria));
      })
      .OnComplete([reply](const absl::Status& s) { reply(s); });
}

}  // namespace persistence
