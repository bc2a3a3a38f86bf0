// A process's command line as it may leave the machine: the values of secret-looking arguments
// masked. `redis-cli -a PASSWORD`, `mysql -pPASSWORD`, `--token=...`, `--password X` and URLs
// with credentials (`postgres://user:PASSWORD@host`) are everyday, and process.command_line goes
// on every span's resource. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otelbpf {

inline constexpr std::string_view kMaskedValue = "****";

// `argv` joined by spaces, with secret values replaced by kMaskedValue:
//  - the value of a flag whose name mentions a password, token, secret, key, credential or auth
//    (`--password=v`, `--password v`, `--api-key v`, `-a v` for redis-cli, `--pass v`);
//  - MySQL/MariaDB clients' attached `-pPASSWORD` (a bare `-p` prompts and stays);
//  - the password of a URL's user information (`scheme://user:PASSWORD@host`).
std::string MaskedCommandLine(const std::vector<std::string_view>& argv);

// Splits a /proc/PID/cmdline block (NUL-separated) into arguments.
std::vector<std::string_view> SplitCommandLine(std::string_view nul_separated);

}  // namespace otelbpf
