#include "protocols/common/resync_scan.h"

namespace otelbpf::framing {

ResyncScan SkipToPlausibleLineStart(std::string_view data, StreamKind kind,
                                    PlausibleStartProbe probe) {
  size_t from = 0;
  for (;;) {
    const size_t newline = data.find('\n', from);
    if (newline == std::string_view::npos) return ResyncScan{data.size(), false};
    from = newline + 1;
    if (probe(data.substr(from), kind)) return ResyncScan{from, true};
  }
}

}  // namespace otelbpf::framing
