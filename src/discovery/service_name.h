// The service.name of a process that does not declare one (no OTEL_SERVICE_NAME): the name it
// was run by, as a user would call it. Pure.
//
//  - What was run, not where the symlink points: Debian's /usr/bin/redis-server is a link to
//    redis-check-rdb, /usr/bin/python3 to python3.11; argv[0] says redis-server and python3.
//    Servers that rewrite their title ("nginx: master process ...", "postgres: 15/main: ...",
//    "redis-server 127.0.0.1:6379") keep the program's name as the first word.
//  - Interpreters are named by what they run: the script (`python3 /srv/app.py` → app), the
//    module (`python3 -m http.server` → http.server), the jar (`java -jar shop.jar` → shop) or
//    main class (`java -cp lib com.acme.Main` → Main), for python, node, java, ruby, perl and
//    php. A package's entry file (`node /srv/checkout/index.js`, `python3 pkg/__main__.py`) is
//    named by its folder. Code given inline (-c, -e) leaves the interpreter's name.
// process.executable.* stay the exact executable; only service.name comes from here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otelbpf {

// `argv` as in /proc/PID/cmdline (may be empty: the process is gone); `executable_name` is the
// resolved executable's file name (may be empty). Returns "" when neither names anything.
std::string ServiceNameFromCommand(const std::vector<std::string_view>& argv,
                                   std::string_view executable_name);

}  // namespace otelbpf
