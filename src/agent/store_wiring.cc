#include "agent/store_wiring.h"

#include <spdlog/spdlog.h>

#include "store/sqlite_db.h"

namespace otelbpf {

std::unique_ptr<store::SpanStore> OpenStore(const AgentOptions::Store& options, bool* fatal) {
  *fatal = false;
  if (options.path == "none") return nullptr;
  store::StoreOptions store_options;
  const bool named = !options.path.empty();
  if (named) store_options.path = options.path;
  store_options.max_bytes = static_cast<uint64_t>(options.max_mb) << 20;
  store_options.retention = std::chrono::duration_cast<std::chrono::seconds>(options.retention);
  store_options.max_spans_per_second = static_cast<uint32_t>(options.max_spans_per_second);
  try {
    return std::make_unique<store::SpanStore>(store_options);
  } catch (const store::StoreError& e) {
    if (named) {
      spdlog::error("{}", e.what());
      *fatal = true;
    } else {
      spdlog::warn("{}; running without the store (otelbpf observe, stats, map and trace will "
                   "have nothing to read; --store PATH puts it elsewhere, --store none silences "
                   "this)",
                   e.what());
    }
    return nullptr;
  }
}

}  // namespace otelbpf
