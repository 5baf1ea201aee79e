// Shell completion generated from the programs' own CLI11 parsers (CLI11
// cannot emit one), so the completion never drifts from --help.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace ussl::apps {

// A bash completion script for app: every long and short flag of the parser;
// after a flag whose values are a fixed set (CLI11's IsMember/CheckedTransformer,
// shown as "{a,b,c}" or "value in {a,b,c}"), those values; after a flag whose
// value is a PATH, FILE or DIR, file names; after any other flag that takes a
// value, nothing. Installed as share/bash-completion/completions/<program>.
// `<program> --bash-completion` prints it (the flag is not in --help).
std::string bash_completion(const CLI::App& app);

}  // namespace ussl::apps
