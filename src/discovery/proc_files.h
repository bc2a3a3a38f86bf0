// Reading a process's files under /proc, the same way everywhere in discovery.
#pragma once

#include <cstddef>
#include <string>

namespace otelbpf {

// At most `limit` bytes of the file; "" when it cannot be read (the process is gone).
std::string ReadWholeFile(const std::string& path, size_t limit);
// The executable `proc_dir`/exe points to, without the " (deleted)" a binary replaced on disk
// while running gets; "" when it cannot be read.
std::string ExecutableOf(const std::string& proc_dir);

}  // namespace otelbpf
