#include "store/net_event_query.h"

#include <algorithm>

#include "store/where_builder.h"

namespace otelbpf::store {

std::vector<NetEvent> QueryNetEvents(Database& db, const NetEventFilter& filter) {
  WhereBuilder w;
  if (filter.since_ns) w.Add("e.time_ns >= " + w.Param(static_cast<int64_t>(filter.since_ns)));
  std::vector<std::string> kinds, services;
  for (const auto& k : filter.kinds) kinds.push_back("e.kind = " + w.Param(k));
  for (const auto& svc : filter.services) services.push_back("r.service_name = " + w.Param(svc));
  if (!kinds.empty()) w.Add(OrOf(kinds));
  if (!services.empty()) w.Add(OrOf(services));
  std::string sql =
      "SELECT e.id, e.time_ns, e.kind, e.local_address, e.local_port, e.peer_address, "
      "e.peer_port, e.duration_ns, e.name, e.result, e.details, r.service_name, r.pid "
      "FROM net_events e LEFT JOIN resources r ON r.id = e.resource_id" + w.Sql();
  sql += filter.last ? " ORDER BY e.time_ns DESC LIMIT " + std::to_string(filter.last)
                     : " ORDER BY e.time_ns";
  Statement q(db, sql);
  w.BindAll(q);
  std::vector<NetEvent> out;
  while (q.Step()) {
    NetEvent e;
    e.id = q.Int(0);
    e.time_ns = static_cast<uint64_t>(q.Int(1));
    e.kind = q.Text(2);
    e.local_address = q.Text(3);
    e.local_port = q.Int(4);
    e.peer_address = q.Text(5);
    e.peer_port = q.Int(6);
    e.duration_ns = static_cast<uint64_t>(q.Int(7));
    e.name = q.Text(8);
    e.result = q.Int(9);
    e.details_json = q.Text(10);
    e.service = q.Text(11);
    e.pid = q.Int(12);
    out.push_back(std::move(e));
  }
  if (filter.last) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace otelbpf::store
