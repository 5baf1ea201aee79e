#include "common/completion.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <vector>

namespace ussl::apps {
namespace {

// The fixed values of an option: CLI11 appends its validators' descriptions
// to the type name ("TEXT:{none,optional,required}").
std::vector<std::string> fixed_values(const CLI::Option& option) {
  std::vector<std::string> values;
  const std::string type = option.get_type_name();
  const auto open = type.find('{');
  const auto close = type.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close <= open) return values;
  std::stringstream list(type.substr(open + 1, close - open - 1));
  for (std::string item; std::getline(list, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) values.push_back(item);
  }
  return values;
}

bool takes_path(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  return type.find("PATH") != std::string::npos || type.find("FILE") != std::string::npos ||
         type.find("DIR") != std::string::npos;
}

std::string shell_function_name(std::string program) {
  std::replace_if(
      program.begin(), program.end(), [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) != 0); }, '_');
  return "_" + program;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::string bash_completion(const CLI::App& app) {
  const std::string program = app.get_name();
  std::vector<std::string> all;
  std::vector<std::string> path_flags;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> choice_flags;
  std::vector<std::string> value_flags;
  for (const CLI::Option* option : app.get_options()) {
    std::vector<std::string> names;
    for (const auto& s : option->get_snames()) names.push_back("-" + s);
    for (const auto& l : option->get_lnames()) names.push_back("--" + l);
    if (names.empty()) continue;  // positional
    all.insert(all.end(), names.begin(), names.end());
    if (option->get_expected_min() == 0) continue;  // a flag without a value
    if (auto values = fixed_values(*option); !values.empty()) {
      choice_flags.emplace_back(names, values);
    } else if (takes_path(*option)) {
      path_flags.insert(path_flags.end(), names.begin(), names.end());
    } else {
      value_flags.insert(value_flags.end(), names.begin(), names.end());
    }
  }
  auto alternatives = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : "|") + n;
    return out;
  };
  std::ostringstream out;
  const std::string fn = shell_function_name(program);
  out << "# bash completion for " << program << ", generated from its command-line parser by `" << program
      << " --bash-completion`.\n"
      << fn << "() {\n"
      << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      << "  case \"$prev\" in\n";
  for (const auto& [names, values] : choice_flags)
    out << "    " << alternatives(names) << ") COMPREPLY=($(compgen -W \"" << join(values)
        << "\" -- \"$cur\")); return ;;\n";
  if (!path_flags.empty())
    out << "    " << alternatives(path_flags) << ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
  if (!value_flags.empty()) out << "    " << alternatives(value_flags) << ") return ;;\n";
  out << "  esac\n"
      << "  COMPREPLY=($(compgen -W \"" << join(all) << "\" -- \"$cur\"))\n"
      << "}\n"
      << "complete -F " << fn << " " << program << "\n";
  return out.str();
}

}  // namespace ussl::apps
