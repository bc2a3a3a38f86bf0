#include "discovery/command_line.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace otelbpf {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A flag (leading dashes removed, lower case) whose value is a secret.
bool SecretFlagName(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kWords = {
      "pass", "pwd", "token", "secret", "key", "credential", "auth", "cookie", "bearer"};
  const std::string lower = Lower(name);
  return std::any_of(kWords.begin(), kWords.end(),
                     [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

// Programs whose short flags carry passwords: redis-cli -a PASS; mysql -pPASS.
bool IsRedisCli(std::string_view exe) { return exe == "redis-cli" || exe == "redis-benchmark"; }
bool IsMysqlClient(std::string_view exe) {
  return exe.rfind("mysql", 0) == 0 || exe.rfind("mariadb", 0) == 0;
}

// scheme://user:PASSWORD@host... -> scheme://user:****@host...
std::string MaskUrlPassword(std::string_view arg) {
  const size_t scheme = arg.find("://");
  if (scheme == std::string_view::npos) return std::string(arg);
  const size_t start = scheme + 3;
  const size_t end_of_authority = arg.find_first_of("/?#", start);
  const std::string_view authority = arg.substr(start, end_of_authority - start);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(arg);
  const size_t colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::string(arg);
  std::string out(arg.substr(0, start + colon + 1));
  out += kMaskedValue;
  out += arg.substr(start + at);
  return out;
}

// key=VALUE pairs inside one argument (libpq's "host=db password=x", a URL's "?token=x",
// "PASSWORD=x"): the values of secret-looking keys, up to the next separator.
std::string MaskKeyValueSecrets(std::string_view arg) {
  std::string out;
  size_t copied = 0;
  for (size_t eq = arg.find('='); eq != std::string_view::npos; eq = arg.find('=', eq + 1)) {
    size_t key_start = eq;
    while (key_start > 0 && (std::isalnum(static_cast<unsigned char>(arg[key_start - 1])) ||
                             arg[key_start - 1] == '_' || arg[key_start - 1] == '-' ||
                             arg[key_start - 1] == '.'))
      --key_start;
    if (key_start == eq || !SecretFlagName(arg.substr(key_start, eq - key_start))) continue;
    size_t value_end = arg.find_first_of(" &;,", eq + 1);
    if (value_end == std::string_view::npos) value_end = arg.size();
    if (value_end == eq + 1) continue;
    out += arg.substr(copied, eq + 1 - copied);
    out += kMaskedValue;
    copied = value_end;
    eq = value_end - 1;
  }
  out += arg.substr(copied);
  return out;
}

}  // namespace

std::string MaskedCommandLine(const std::vector<std::string_view>& argv) {
  std::string out;
  std::string_view exe = argv.empty() ? std::string_view() : argv[0];
  exe = exe.substr(exe.rfind('/') == std::string_view::npos ? 0 : exe.rfind('/') + 1);
  bool mask_next = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string_view arg = argv[i];
    if (i) out += ' ';
    if (mask_next) {
      out += kMaskedValue;
      mask_next = false;
      continue;
    }
    const size_t name_start = arg.find_first_not_of('-');
    if (i > 0 && arg.size() > 1 && arg[0] == '-' && name_start != std::string_view::npos) {
      const std::string_view flag = arg.substr(name_start);
      const size_t eq = flag.find('=');
      const std::string_view name = flag.substr(0, eq);
      if (SecretFlagName(name)) {
        if (eq != std::string_view::npos) {
          out += arg.substr(0, arg.size() - (flag.size() - eq - 1));
          out += kMaskedValue;
        } else {
          out += arg;
          mask_next = true;
        }
        continue;
      }
      if (IsRedisCli(exe) && arg == "-a") {
        out += arg;
        mask_next = true;
        continue;
      }
      if (IsMysqlClient(exe) && arg.size() > 2 && arg[0] == '-' && arg[1] == 'p') {
        out += "-p";
        out += kMaskedValue;
        continue;
      }
    }
    out += MaskKeyValueSecrets(MaskUrlPassword(arg));
  }
  return out;
}

std::vector<std::string_view> SplitCommandLine(std::string_view block) {
  std::vector<std::string_view> argv;
  while (!block.empty() && block.back() == '\0') block.remove_suffix(1);
  size_t start = 0;
  while (start <= block.size() && !block.empty()) {
    size_t end = block.find('\0', start);
    if (end == std::string_view::npos) end = block.size();
    argv.push_back(block.substr(start, end - start));
    start = end + 1;
    if (end == block.size()) break;
  }
  return argv;
}

}  // namespace otelbpf
