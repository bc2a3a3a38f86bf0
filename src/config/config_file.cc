#include "config/config_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/config_keys.h"
#include "config/value_parsers.h"

namespace otelbpf::config {
namespace {

std::string_view TypeName(const ConfigKey& key) {
  switch (key.type) {
    case ValueType::kBool: return "true or false";
    case ValueType::kInt: return "an integer";
    case ValueType::kString: return "a string";
    case ValueType::kEnum: return "one of the accepted values";
    case ValueType::kStringList: return "a list of strings";
    case ValueType::kStringMap: return "a map of names to strings";
    case ValueType::kPorts: return "ports like 80,443,8000-8999";
    case ValueType::kDuration: return "a duration like 60s";
    case ValueType::kRatio: return "a ratio (0.25) or a percentage (25%)";
  }
  return "";
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    out.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

class Loader {
 public:
  Loader(std::string file_name, const FlagGiven& given, RunSettings* settings,
         ConfigDiagnostics* diagnostics)
      : file_(std::move(file_name)), given_(given), settings_(settings), diag_(diagnostics) {
    for (const ConfigKey& key : ConfigKeys()) {
      leaves_.emplace(key.path);
      // Every prefix ending before a '.' or a "[]" is a section.
      for (size_t i = 0; i < key.path.size(); ++i) {
        if (key.path[i] == '.' || key.path[i] == '[') sections_.emplace(key.path.substr(0, i));
      }
    }
    for (std::string_view key : ObiKeysWithoutEquivalent()) obi_only_.emplace(key);
  }

  void Walk(const YAML::Node& map, const std::string& path, const std::string& shown,
            const KeyPlace& place) {
    if (!map.IsMap()) {
      Error(map, shown.empty() ? "the file must be a map of keys (e.g. log_level: info)"
                               : "key '" + shown + "' must be a map of keys");
      return;
    }
    for (const auto& item : map) {
      const YAML::Node& name_node = item.first;
      const YAML::Node& value = item.second;
      if (!name_node.IsScalar()) {
        Error(name_node, "a key must be a plain name");
        continue;
      }
      const std::string name = name_node.Scalar();
      std::string child = path.empty() ? name : path + "." + name;
      const std::string child_shown = shown.empty() ? name : shown + "." + name;
      KeyPlace child_place = place;
      const std::string wildcard = path + ".*";
      const bool known = child != wildcard && (leaves_.count(child) || sections_.count(child) ||
                                               obi_only_.count(child));
      if (!known && (leaves_.count(wildcard) || sections_.count(wildcard))) {
        child = wildcard;  // a name the user chooses, e.g. a metric in attributes.select
        child_place.name = name;
      }
      child_place.line = name_node.Mark().line + 1;
      child_place.origin = Origin(name_node) + ": key '" + child_shown + "'";
      if (leaves_.count(child)) {
        Leaf(FindKey(child), value, child_place);
      } else if (sections_.count(child + "[]")) {
        Sequence(value, child + "[]", child_shown, child_place);
      } else if (sections_.count(child)) {
        if (!value.IsNull()) Walk(value, child, child_shown, child_place);
      } else if (obi_only_.count(child)) {
        diag_->warnings.push_back(child_place.origin +
                                  " (OBI) has no equivalent in otelbpf; ignored");
      } else {
        Error(name_node, "key '" + child_shown + "' is unknown" + Suggestion(path, name));
      }
    }
  }

 private:
  void Sequence(const YAML::Node& value, const std::string& path, const std::string& shown,
                const KeyPlace& place) {
    if (value.IsNull()) return;
    if (!value.IsSequence()) {
      Error(value, "key '" + shown + "' must be a list (- open_ports: 80)");
      return;
    }
    for (size_t i = 0; i < value.size(); ++i) {
      KeyPlace entry = place;
      entry.index = i;
      Walk(value[i], path, shown + "[" + std::to_string(i) + "]", entry);
    }
  }

  const ConfigKey& FindKey(const std::string& path) const {
    for (const ConfigKey& key : ConfigKeys()) {
      if (key.path == path) return key;
    }
    return ConfigKeys().front();  // unreachable: `leaves_` holds the table's paths
  }

  void Leaf(const ConfigKey& key, const YAML::Node& node, const KeyPlace& place) {
    std::optional<ConfigValue> value = Parse(key, node, place);
    if (!value) return;
    if (!key.flag.empty() && given_ && given_(key.flag)) return;  // the flag wins
    std::string error = key.apply(*value, place, settings_, &diag_->warnings);
    if (!error.empty()) diag_->errors.push_back(place.origin + ": " + error);
  }

  std::optional<ConfigValue> Parse(const ConfigKey& key, const YAML::Node& node,
                                   const KeyPlace& place) {
    auto bad = [&](const std::string& why) -> std::optional<ConfigValue> {
      diag_->errors.push_back(place.origin + " " + why);
      return std::nullopt;
    };
    if (node.IsNull()) return bad("has no value (expected " + std::string(TypeName(key)) + ")");
    std::string error;
    switch (key.type) {
      case ValueType::kBool: {
        if (!node.IsScalar()) break;
        std::string v = Lower(node.Scalar());
        if (v == "true") return ConfigValue{true};
        if (v == "false") return ConfigValue{false};
        return bad("is '" + node.Scalar() + "'; accepted: true, false");
      }
      case ValueType::kInt: {
        if (!node.IsScalar()) break;
        const std::string& text = node.Scalar();
        char* end = nullptr;
        long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || v < key.min || v > key.max) {
          return bad("is '" + text + "'; accepted: an integer from " + std::to_string(key.min) +
                     " to " + std::to_string(key.max));
        }
        return ConfigValue{static_cast<int64_t>(v)};
      }
      case ValueType::kString:
        if (!node.IsScalar()) break;
        return ConfigValue{node.Scalar()};
      case ValueType::kEnum: {
        if (!node.IsScalar()) break;
        std::vector<std::string> accepted = Split(key.accepted, '|');
        for (const std::string& option : accepted) {
          if (Lower(node.Scalar()) == Lower(option)) return ConfigValue{option};
        }
        std::string list;
        for (const std::string& option : accepted) list += (list.empty() ? "" : ", ") + option;
        return bad("is '" + node.Scalar() + "'; accepted: " + list);
      }
      case ValueType::kStringList: {
        std::vector<std::string> items;
        if (node.IsScalar()) {
          items.push_back(node.Scalar());
          return ConfigValue{items};
        }
        if (!node.IsSequence()) break;
        for (const auto& item : node) {
          if (!item.IsScalar()) return bad("must list plain strings");
          items.push_back(item.Scalar());
        }
        return ConfigValue{items};
      }
      case ValueType::kStringMap: {
        if (!node.IsMap()) break;
        std::vector<std::pair<std::string, std::string>> items;
        for (const auto& item : node) {
          if (!item.first.IsScalar() || !item.second.IsScalar()) {
            return bad("must map names to plain strings");
          }
          items.emplace_back(item.first.Scalar(), item.second.Scalar());
        }
        return ConfigValue{items};
      }
      case ValueType::kPorts: {
        std::string text;
        if (node.IsScalar()) {
          text = node.Scalar();
        } else if (node.IsSequence()) {
          for (const auto& item : node) {
            if (!item.IsScalar()) return bad("must list ports like 80 or 8000-8999");
            text += (text.empty() ? "" : ",") + item.Scalar();
          }
        } else {
          break;
        }
        auto ports = ParsePortList(text, &error);
        if (!ports) return bad("is invalid: " + error);
        return ConfigValue{*ports};
      }
      case ValueType::kDuration: {
        if (!node.IsScalar()) break;
        auto duration = ParseDuration(node.Scalar(), &error);
        if (!duration) return bad("is invalid: " + error);
        return ConfigValue{*duration};
      }
      case ValueType::kRatio: {
        if (!node.IsScalar()) break;
        auto ratio = ParseSampleRate(node.Scalar(), &error);
        if (!ratio) return bad("is invalid: " + error);
        return ConfigValue{*ratio};
      }
    }
    return bad("must be " + std::string(TypeName(key)));
  }

  // Known names under the same section, closest first; only close ones are offered.
  std::string Suggestion(const std::string& section, const std::string& name) const {
    std::string best;
    size_t best_distance = 3;  // a typo of one or two characters
    auto consider = [&](std::string_view path) {
      std::string_view prefix = section.empty() ? std::string_view() : std::string_view(section);
      if (!prefix.empty() && (path.substr(0, prefix.size()) != prefix || path.size() <= prefix.size() ||
                              path[prefix.size()] != '.')) {
        return;
      }
      std::string_view rest = prefix.empty() ? path : path.substr(prefix.size() + 1);
      rest = rest.substr(0, std::min(rest.find('.'), rest.find('[')));
      size_t distance = EditDistance(Lower(name), rest);
      bool contains = rest.find(Lower(name)) != std::string_view::npos && name.size() >= 4;
      if (distance < best_distance || (best.empty() && contains)) {
        best = std::string(rest);
        best_distance = std::min(distance, best_distance);
      }
    };
    for (const std::string& path : leaves_) consider(path);
    for (const std::string& path : sections_) consider(path);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
  }

  std::string Origin(const YAML::Node& node) const {
    return "config " + file_ + ":" + std::to_string(node.Mark().line + 1);
  }

  void Error(const YAML::Node& node, const std::string& message) {
    diag_->errors.push_back(Origin(node) + ": " + message);
  }

  std::string file_;
  const FlagGiven& given_;
  RunSettings* settings_;
  ConfigDiagnostics* diag_;
  std::set<std::string> leaves_;
  std::set<std::string> sections_;
  std::set<std::string> obi_only_;
};

}  // namespace

void ApplyConfigText(std::string_view text, const std::string& file_name, const FlagGiven& given,
                     RunSettings* settings, ConfigDiagnostics* diagnostics) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    diagnostics->errors.push_back("config " + file_name + ":" + std::to_string(e.mark.line + 1) +
                                  ": not valid YAML: " + e.msg);
    return;
  }
  if (root.IsNull()) return;  // an empty file (or only comments) sets nothing
  Loader loader(file_name, given, settings, diagnostics);
  loader.Walk(root, "", "", KeyPlace{});
}

void ApplyConfigFile(const std::string& path, const FlagGiven& given, RunSettings* settings,
                     ConfigDiagnostics* diagnostics) {
  std::ifstream in(path);
  if (!in) {
    diagnostics->errors.push_back("config " + path + ": cannot be read");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  ApplyConfigText(text.str(), path, given, settings, diagnostics);
}

}  // namespace otelbpf::config
