// Copyright 2026 The eventpersist Authors.
//
// config.h: Config, an immutable HOCON configuration (through cpp-hocon)
// whose getters return absl::StatusOr and whose errors name the key and the
// file it came from.
//
// A plugin receives its own section as a Config (see registry.h); the
// full path of each key is kept, so an error from a plugin's section still
// names `my-journal.path`, not just `path`.
//
// There are no getters with a fallback: a plugin's defaults live in its
// reference.conf, so a missing key is an error, never a silent default.
//
// Thread-safety: a Config is immutable and safe to share between threads.
//
// Example:
//
//   absl::StatusOr<Config> c = Config::ParseString("a { n = 3, t = 2s }", "x");
//   absl::StatusOr<int64_t> n = c->GetInt("a.n");               // 3
//   absl::StatusOr<std::chrono::nanoseconds> t = c->GetDuration("a.t");
//   c->GetString("a.missing");  // NotFound: config key 'a.missing' ... (x)
#ifndef PERSISTENCE_API_CONFIG_H_
#define PERSISTENCE_API_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hocon {
class config;
}

namespace persistence {

class Config {
 public:
  // An empty config: every key is missing.
  Config();

  // ParseString parses HOCON text; `origin` names it in error messages.
  static absl::StatusOr<Config> ParseString(const std::string& text,
                                            const std::string& origin);
  // ParseFile parses the HOCON file at `path`; a missing file is NotFound.
  static absl::StatusOr<Config> ParseFile(const std::string& path);

  // WithFallback: keys missing here are looked up in `fallback`.
  Config WithFallback(const Config& fallback) const;
  // Resolve substitutions such as ${a.b}. Call once, on the whole stack.
  absl::StatusOr<Config> Resolve() const;

  bool HasPath(const std::string& key) const;

  absl::StatusOr<std::string> GetString(const std::string& key) const;
  absl::StatusOr<int64_t> GetInt(const std::string& key) const;
  absl::StatusOr<double> GetDouble(const std::string& key) const;
  absl::StatusOr<bool> GetBool(const std::string& key) const;
  // GetStringList reads a list of strings: ["a", "b"] ([] is empty).
  absl::StatusOr<std::vector<std::string>> GetStringList(
      const std::string& key) const;
  // GetDuration accepts HOCON durations: "200ms", "5s", "1 minute".
  absl::StatusOr<std::chrono::nanoseconds> GetDuration(
      const std::string& key) const;
  // GetConfig returns the section at `key`, keeping its full path for errors.
  absl::StatusOr<Config> GetConfig(const std::string& key) const;

  // GetIntAtLeast is GetInt, and InvalidArgument naming the key when the
  // value is below `minimum`.
  absl::StatusOr<int64_t> GetIntAtLeast(const std::string& key,
                                        int64_t minimum) const;
  // GetBytes reads a size in bytes: a number, or a number and a unit
  // ("64 MiB", "512 KiB", "4MB"; B, KiB, MiB, GiB, kB, MB, GB and the
  // short forms K, M, G), and InvalidArgument naming the key when it is
  // below `minimum`.
  absl::StatusOr<int64_t> GetBytes(const std::string& key,
                                   int64_t minimum = 0) const;

  // LeafKeys lists every key that holds a value (not an object), full paths.
  std::vector<std::string> LeafKeys() const;

  // FullKey is `key` prefixed with this section's path, as errors show it.
  std::string FullKey(const std::string& key) const;

  // Render prints the config as HOCON (for logs and debugging).
  std::string Render() const;

 private:
  Config(std::shared_ptr<const hocon::config> config, std::string path);

  std::shared_ptr<const hocon::config> config_;
  std::string path_;  // "" for a root config, else "a.b" of this section
};

}  // namespace persistence

#endif  // PERSISTENCE_API_CONFIG_H_
