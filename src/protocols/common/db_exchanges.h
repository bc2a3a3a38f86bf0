// The Drain of a database parser: the calls its matcher completed, built into spans.
#pragma once

#include <vector>

#include "protocols/common/connection.h"
#include "protocols/common/db_span.h"
#include "protocols/common/protocol.h"

namespace otelbpf {

// Moves `completed` (a matcher's calls, cleared) to `out` as spans, each mapped by
// `to_db_call(call)`. The span kind needs the role: the tracker's when it knows it, else the one
// the bytes revealed (`revealed`); while neither knows, the calls wait in `completed`.
template <typename Call, typename ToDbCall>
void DrainDbCalls(std::vector<Call>& completed, ToDbCall to_db_call,
                  const ConnectionInfo& connection, ConnectionRole revealed,
                  const SpanBuildOptions& options, std::vector<ExchangeSpan>& out) {
  if (connection.role == ConnectionRole::kUnknown && revealed == ConnectionRole::kUnknown) return;
  const ConnectionInfo* info = &connection;
  ConnectionInfo with_role;
  if (connection.role == ConnectionRole::kUnknown) {
    with_role = connection;
    with_role.role = revealed;
    info = &with_role;
  }
  for (const Call& call : completed)
    out.push_back(BuildDbExchange(to_db_call(call), *info, options));
  completed.clear();
}

}  // namespace otelbpf
