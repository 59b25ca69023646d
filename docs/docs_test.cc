// Copyright 2026 The eventpersist Authors.
//
// docs_test: keeps docs/ true.
//
// 1. Snippets. A code block in a doc that follows
//      <!-- snippet: path/to/file#name -->
//    must equal the lines of that file between the markers `[START name]`
//    and `[END name]`; the files are compiled and tested, so the docs' code
//    cannot rot. `bazel run //docs:update_snippets` rewrites the blocks.
// (Each reference.conf's keys are checked by the :config_docs_test of its
// package, tck/config_docs_check.cc.)
//
// Usage: docs_test [--update] DOC...
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

// Region returns the lines of `file` between the START and END markers.
bool Region(const std::string& root, const std::string& file,
            const std::string& name, std::string* out) {
  std::vector<std::string> lines = Lines(Read(root + file));
  bool inside = false, found = false;
  std::string text;
  for (const std::string& line : lines) {
    if (line.find("[START " + name + "]") != std::string::npos) {
      inside = found = true;
      continue;
    }
    if (line.find("[END " + name + "]") != std::string::npos) {
      inside = false;
      continue;
    }
    if (inside) text += line + "\n";
  }
  *out = text;
  return found;
}

// ParseMarker reads `<!-- snippet: path/to/file#name -->`.
bool ParseMarker(const std::string& line, std::string* file,
                 std::string* name) {
  const std::string open = "<!-- snippet: ", close = " -->";
  if (line.rfind(open, 0) != 0 || line.size() < open.size() + close.size() ||
      line.compare(line.size() - close.size(), close.size(), close) != 0) {
    return false;
  }
  const std::string ref =
      line.substr(open.size(), line.size() - open.size() - close.size());
  const size_t hash = ref.find('#');
  if (hash == std::string::npos || hash == 0 || hash + 1 == ref.size())
    return false;
  *file = ref.substr(0, hash);
  *name = ref.substr(hash + 1);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string update_root;
  std::vector<std::string> docs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--update") {
      // bazel run sets BUILD_WORKSPACE_DIRECTORY: rewrite the real tree.
      const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
      if (workspace == nullptr) {
        std::cerr << "--update needs `bazel run` (BUILD_WORKSPACE_DIRECTORY)\n";
        return 2;
      }
      update_root = std::string(workspace) + "/";
    } else {
      docs.push_back(a);
    }
  }
  const std::string root = update_root;  // "" reads from runfiles (cwd)
  int failures = 0;
  for (const std::string& doc : docs) {
    std::vector<std::string> lines = Lines(Read(root + doc));
    if (lines.empty()) {
      std::cerr << doc << ": missing or empty\n";
      ++failures;
      continue;
    }
    std::string rewritten;
    for (size_t i = 0; i < lines.size(); ++i) {
      rewritten += lines[i] + "\n";
      std::string file, name;
      if (!ParseMarker(lines[i], &file, &name)) continue;
      std::string expected;
      if (!Region(root, file, name, &expected)) {
        std::cerr << doc << ":" << i + 1 << ": no region [START " << name
                  << "] in " << file << "\n";
        ++failures;
        continue;
      }
      // The fenced block right after the marker.
      size_t open = i + 1, close = open + 1;
      if (open >= lines.size() || lines[open].rfind("```", 0) != 0) {
        std::cerr << doc << ":" << i + 2
                  << ": a ``` block must follow the snippet marker\n";
        ++failures;
        continue;
      }
      while (close < lines.size() && lines[close] != "```") ++close;
      std::string actual;
      for (size_t k = open + 1; k < close; ++k) actual += lines[k] + "\n";
      if (actual != expected) {
        std::cerr
            << doc << ":" << i + 1 << ": snippet " << file << "#" << name
            << " is out of date; run `./bazelw run //docs:update_snippets`\n";
        ++failures;
      }
      rewritten += lines[open] + "\n" + expected + "```\n";
      i = close;
    }
    if (!update_root.empty()) {
      std::ofstream(root + doc) << rewritten;
    }
  }
  if (!update_root.empty()) {
    std::cout << "snippets updated\n";
    return 0;
  }

  if (failures == 0) std::cout << "docs are up to date\n";
  return failures == 0 ? 0 : 1;
}
