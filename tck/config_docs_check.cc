// Copyright 2026 The eventpersist Authors.
//
// config_docs_check: every key of a reference.conf is documented.
//
// The main of each backend's :config_docs_test (made by the
// `persistence_backend` macro, tck/tck.bzl) and of the runtime's: every
// leaf key of the given reference.conf files must be named, in
// backquotes, in at least one of the given documents.
//
// Usage: config_docs_check --conf=FILE... DOC...
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "persistence/api/config.h"

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> confs, docs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--conf=", 0) == 0) {
      confs.push_back(arg.substr(7));
    } else {
      docs.push_back(arg);
    }
  }
  if (confs.empty() || docs.empty()) {
    std::cerr << "usage: config_docs_check --conf=FILE... DOC...\n";
    return 2;
  }
  std::string documented;
  for (const std::string& doc : docs) {
    const std::string text = Read(doc);
    if (text.empty()) {
      std::cerr << doc << ": missing or empty\n";
      return 1;
    }
    documented += text;
  }
  // The files together: one may refer to another's keys with ${...}.
  persistence::Config merged;
  for (const std::string& conf : confs) {
    absl::StatusOr<persistence::Config> parsed =
        persistence::Config::ParseString(Read(conf), conf);
    if (!parsed.ok()) {
      std::cerr << conf << ": " << parsed.status() << "\n";
      return 1;
    }
    merged = merged.WithFallback(*parsed);
  }
  absl::StatusOr<persistence::Config> resolved = merged.Resolve();
  if (!resolved.ok()) {
    std::cerr << "the reference.conf files do not resolve: "
              << resolved.status() << "\n";
    return 1;
  }
  int missing = 0;
  for (const std::string& key : resolved->LeafKeys()) {
    if (documented.find("`" + key + "`") != std::string::npos) continue;
    std::string from = confs.front();
    const std::string leaf = key.substr(key.rfind('.') + 1);
    for (const std::string& conf : confs) {
      if (Read(conf).find(leaf) != std::string::npos) {
        from = conf;
        break;
      }
    }
    std::cerr << "config key `" << key << "` (from " << from
              << ") is not described in any of:";
    for (const std::string& doc : docs) std::cerr << " " << doc;
    std::cerr << "\n";
    ++missing;
  }
  if (missing > 0) return 1;
  std::cout << resolved->LeafKeys().size() << " config keys, all documented\n";
  return 0;
}
