// Copyright 2026 The eventpersist Authors.
#include "persistence/api/config.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hocon/config.hpp"
#include "hocon/config_exception.hpp"
#include "hocon/config_object.hpp"
#include "hocon/config_parse_options.hpp"
#include "hocon/config_value.hpp"

namespace persistence {
namespace {

// Where a key came from, e.g. "application.conf: 12", for error messages.
std::string OriginOf(const hocon::config& config, const std::string& key) {
  try {
    if (config.has_path(key)) {
      return config.get_value(key)->origin()->description();
    }
  } catch (const std::exception&) {
  }
  return "";
}

// Runs `get` and turns cpp-hocon's exceptions into a Status that names the
// full key and its origin.
template <typename T, typename Get>
absl::StatusOr<T> Guarded(const hocon::config* config, const std::string& key,
                          const std::string& full_key, Get get) {
  if (config == nullptr || !config->has_path(key)) {
    return absl::NotFoundError(
        absl::StrCat("config key '", full_key, "' is missing"));
  }
  try {
    return get();
  } catch (const std::exception& e) {
    std::string origin = OriginOf(*config, key);
    return absl::InvalidArgumentError(absl::StrCat(
        "config key '", full_key, "'",
        origin.empty() ? "" : absl::StrCat(" (", origin, ")"), ": ", e.what()));
  }
}

// ParseByteSize reads "64 MiB", "512k", "4MB" or a plain number of bytes.
absl::StatusOr<int64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  const size_t digits = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == digits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a size such as 64 MiB, got '", std::string(text), "'"));
  }
  const std::string number(text.substr(digits, i - digits));
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  std::string unit(text.substr(i));
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back())))
    unit.pop_back();
  static const auto* units = new std::map<std::string, int64_t>{
      {"", 1},          {"B", 1},       {"b", 1},        {"byte", 1},
      {"bytes", 1},     {"K", 1 << 10}, {"k", 1 << 10},  {"Ki", 1 << 10},
      {"KiB", 1 << 10}, {"M", 1 << 20}, {"m", 1 << 20},  {"Mi", 1 << 20},
      {"MiB", 1 << 20}, {"G", 1 << 30}, {"g", 1 << 30},  {"Gi", 1 << 30},
      {"GiB", 1 << 30}, {"kB", 1000},   {"MB", 1000000}, {"GB", 1000000000},
  };
  auto u = units->find(unit);
  if (u == units->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown size unit '", unit, "' in '", std::string(text),
                     "' (use B, KiB, MiB, GiB, kB, MB or GB)"));
  }
  errno = 0;
  const unsigned long long n = std::strtoull(number.c_str(), nullptr, 10);
  if (errno != 0 || n > static_cast<unsigned long long>(
                            std::numeric_limits<int64_t>::max() / u->second)) {
    return absl::InvalidArgumentError(
        absl::StrCat("size '", std::string(text), "' is too large"));
  }
  return static_cast<int64_t>(n) * u->second;
}

// KeyError is InvalidArgument naming the full key and where it was set.
absl::Status KeyError(const hocon::config* config, const std::string& key,
                      const std::string& full_key, absl::string_view what) {
  const std::string origin = config == nullptr ? "" : OriginOf(*config, key);
  return absl::InvalidArgumentError(absl::StrCat(
      "config key '", full_key, "'",
      origin.empty() ? "" : absl::StrCat(" (", origin, ")"), ": ", what));
}

}  // namespace

Config::Config() = default;

Config::Config(std::shared_ptr<const hocon::config> config, std::string path)
    : config_(std::move(config)), path_(std::move(path)) {}

absl::StatusOr<Config> Config::ParseString(const std::string& text,
                                           const std::string& origin) {
  try {
    auto options = hocon::config_parse_options().set_origin_description(
        std::make_shared<std::string>(origin));
    return Config(hocon::config::parse_string(text, options), "");
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse config ", origin, ": ", e.what()));
  }
}

absl::StatusOr<Config> Config::ParseFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read config file '", path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseString(text.str(), path);
}

Config Config::WithFallback(const Config& fallback) const {
  if (config_ == nullptr) return fallback;
  if (fallback.config_ == nullptr) return *this;
  auto merged = std::dynamic_pointer_cast<const hocon::config>(
      config_->with_fallback(fallback.config_));
  return Config(merged, path_);
}

absl::StatusOr<Config> Config::Resolve() const {
  if (config_ == nullptr) return *this;
  try {
    return Config(config_->resolve(), path_);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve config: ", e.what()));
  }
}

bool Config::HasPath(const std::string& key) const {
  if (config_ == nullptr) return false;
  try {
    return config_->has_path(key);
  } catch (const std::exception&) {
    return false;
  }
}

std::string Config::FullKey(const std::string& key) const {
  return path_.empty() ? key : absl::StrCat(path_, ".", key);
}

absl::StatusOr<std::string> Config::GetString(const std::string& key) const {
  return Guarded<std::string>(config_.get(), key, FullKey(key),
                              [&] { return config_->get_string(key); });
}

absl::StatusOr<int64_t> Config::GetInt(const std::string& key) const {
  return Guarded<int64_t>(config_.get(), key, FullKey(key),
                          [&] { return config_->get_long(key); });
}

absl::StatusOr<double> Config::GetDouble(const std::string& key) const {
  return Guarded<double>(config_.get(), key, FullKey(key),
                         [&] { return config_->get_double(key); });
}

absl::StatusOr<bool> Config::GetBool(const std::string& key) const {
  return Guarded<bool>(config_.get(), key, FullKey(key),
                       [&] { return config_->get_bool(key); });
}

absl::StatusOr<std::vector<std::string>> Config::GetStringList(
    const std::string& key) const {
  return Guarded<std::vector<std::string>>(
      config_.get(), key, FullKey(key),
      [&] { return config_->get_string_list(key); });
}

absl::StatusOr<std::chrono::nanoseconds> Config::GetDuration(
    const std::string& key) const {
  return Guarded<std::chrono::nanoseconds>(
      config_.get(), key, FullKey(key), [&] {
        return std::chrono::nanoseconds(
            config_->get_duration(key, hocon::time_unit::NANOSECONDS));
      });
}

absl::StatusOr<Config> Config::GetConfig(const std::string& key) const {
  return Guarded<Config>(config_.get(), key, FullKey(key), [&] {
    return Config(config_->get_config(key), FullKey(key));
  });
}

absl::StatusOr<int64_t> Config::GetIntAtLeast(const std::string& key,
                                              int64_t minimum) const {
  absl::StatusOr<int64_t> value = GetInt(key);
  if (value.ok() && *value < minimum) {
    return KeyError(
        config_.get(), key, FullKey(key),
        absl::StrCat("must be at least ", minimum, ", got ", *value));
  }
  return value;
}

absl::StatusOr<int64_t> Config::GetBytes(const std::string& key,
                                         int64_t minimum) const {
  absl::StatusOr<std::string> text = GetString(key);
  if (!text.ok()) return text.status();
  absl::StatusOr<int64_t> bytes = ParseByteSize(*text);
  if (!bytes.ok()) {
    return KeyError(config_.get(), key, FullKey(key), bytes.status().message());
  }
  if (*bytes < minimum) {
    return KeyError(
        config_.get(), key, FullKey(key),
        absl::StrCat("must be at least ", minimum, " bytes, got ", *text));
  }
  return bytes;
}

std::vector<std::string> Config::LeafKeys() const {
  std::vector<std::string> keys;
  if (config_ == nullptr) return keys;
  for (const auto& entry : config_->entry_set()) {
    keys.push_back(FullKey(entry.first));
  }
  return keys;
}

std::string Config::Render() const {
  if (config_ == nullptr) return "{}";
  return config_->root()->render();
}

}  // namespace persistence
