#include "store/span_query.h"

#include <sys/stat.h>

#include <cstring>

#include "store/sqlite_db.h"
#include "store/store_schema.h"
#include "store/trace_bloom.h"
#include "store/where_builder.h"

namespace otelbpf::store {
namespace {

// Columns every query reads, in the order RowToSpan reads them.
constexpr const char* kSelectAll =
    "SELECT s.id, s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.protocol, "
    "s.start_ns, s.duration_ns, s.status, s.status_message, s.http_method, s.http_status, "
    "s.target, s.route, s.peer_service, s.peer_address, s.peer_port, s.local_port, "
    "s.attributes, s.events, r.service_name, r.service_namespace, r.pid, r.executable, "
    "r.container_id, r.k8s_namespace, r.k8s_pod, r.attributes, s.caller_service, "
    "s.callee_service, s.weight "
    "FROM spans s JOIN resources r ON r.id = s.resource_id";

// The same columns with the JSON ones replaced by empty text.
std::string SelectWithoutAttributes() {
  std::string sql = kSelectAll;
  for (const char* column : {"s.attributes", "s.events", "r.attributes"}) {
    const size_t at = sql.find(std::string(column) + ",");
    sql.replace(at, std::string(column).size(), "''");
  }
  return sql;
}

template <size_t N>
void CopyId(const std::string& bytes, std::array<uint8_t, N>* out) {
  if (bytes.size() == N) std::memcpy(out->data(), bytes.data(), N);
}

StoredSpan RowToSpan(const Statement& q) {
  StoredSpan s;
  s.id = q.Int(0);
  CopyId(q.Blob(1), &s.trace_id);
  CopyId(q.Blob(2), &s.span_id);
  CopyId(q.Blob(3), &s.parent_span_id);
  s.name = q.Text(4);
  s.kind = static_cast<SpanKind>(q.Int(5));
  s.protocol = q.Text(6);
  s.start_ns = static_cast<uint64_t>(q.Int(7));
  s.duration_ns = static_cast<uint64_t>(q.Int(8));
  s.status = static_cast<StatusCode>(q.Int(9));
  s.status_message = q.Text(10);
  s.http_method = q.Text(11);
  s.http_status = q.Int(12);
  s.target = q.Text(13);
  s.route = q.Text(14);
  s.peer_service = q.Text(15);
  s.peer_address = q.Text(16);
  s.peer_port = q.Int(17);
  s.local_port = q.Int(18);
  s.attributes_json = q.Text(19);
  s.events_json = q.Text(20);
  s.resource.service_name = q.Text(21);
  s.resource.service_namespace = q.Text(22);
  s.resource.pid = q.Int(23);
  s.resource.executable = q.Text(24);
  s.resource.container_id = q.Text(25);
  s.resource.k8s_namespace = q.Text(26);
  s.resource.k8s_pod = q.Text(27);
  s.resource.attributes_json = q.Text(28);
  s.caller_service = q.Text(29);
  s.callee_service = q.Text(30);
  s.weight = q.Double(31);
  return s;
}

std::optional<int64_t> AsPort(const std::string& value) {
  std::string digits = value;
  if (!digits.empty() && digits[0] == ':') digits.erase(0, 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(digits);
}

// The other end of the span matches `value`: its service, address, port or address:port.
std::string PeerMatches(WhereBuilder& w, const std::string& value, bool server_span) {
  // The local end stitched to this span names the other end too: the client above a SERVER
  // span, the server below a CLIENT span.
  std::string clause = "s.peer_service = " + w.Param(value) + " OR s.peer_address = " +
                       w.Param(value) +
                       " OR (s.peer_address || ':' || s.peer_port) = " + w.Param(value) +
                       (server_span ? " OR s.caller_service = " : " OR s.callee_service = ") +
                       w.Param(value);
  if (auto port = AsPort(value)) clause += " OR s.peer_port = " + w.Param(*port);
  return clause;
}

// The span's own process matches `value`: its service, or for SERVER spans its listening port.
std::string SelfMatches(WhereBuilder& w, const std::string& value, bool server_span) {
  std::string clause = "r.service_name = " + w.Param(value);
  if (server_span)
    if (auto port = AsPort(value)) clause += " OR s.local_port = " + w.Param(*port);
  return clause;
}

std::string EndpointClause(WhereBuilder& w, const std::string& value, bool from) {
  // A SERVER span is called (from = peer, to = itself); a CLIENT span calls (from = itself,
  // to = peer).
  const std::string server = from ? PeerMatches(w, value, true) : SelfMatches(w, value, true);
  const std::string client = from ? SelfMatches(w, value, false) : PeerMatches(w, value, false);
  return "((s.kind = 2 AND (" + server + ")) OR (s.kind = 3 AND (" + client + ")))";
}

std::pair<int64_t, int64_t> ParseRange(const std::string& range) {
  const size_t dash = range.find('-');
  try {
    if (dash == std::string::npos) {
      const int64_t v = std::stoll(range);
      return {v, v};
    }
    return {std::stoll(range.substr(0, dash)), std::stoll(range.substr(dash + 1))};
  } catch (const std::exception&) {
    throw StoreError("not a status range: \"" + range + "\" (e.g. 500-599)");
  }
}

// url.path regular expressions, one per query, called by SQLite as path_matches(text).
void PathMatches(sqlite3_context* context, int argc, sqlite3_value** argv) {
  const auto* pattern = static_cast<const std::regex*>(sqlite3_user_data(context));
  const unsigned char* text = sqlite3_value_text(argv[0]);
  sqlite3_result_int(context,
                     text && std::regex_search(reinterpret_cast<const char*>(text), *pattern));
}

// The blocks of rows whose Bloom filter may hold the trace (store/trace_bloom.h).
std::vector<int64_t> CandidateBlocks(Database& db, const TraceId& id) {
  std::vector<int64_t> blocks;
  Statement q(db, "SELECT block, bloom FROM trace_blooms ORDER BY block");
  while (q.Step())
    if (TraceBloom(q.Blob(1)).MayContain(id)) blocks.push_back(q.Int(0));
  return blocks;
}

// s.trace_id = ID, limited to the row ranges of the candidate blocks so SQLite scans those
// rows by id instead of the whole table.
std::string TraceClause(WhereBuilder& w, Database& db, const TraceId& id) {
  std::string ranges;
  for (int64_t block : CandidateBlocks(db, id)) {
    ranges += ranges.empty() ? "(" : " OR ";
    ranges += "s.id BETWEEN " + std::to_string(block * kRowsPerBlock) + " AND " +
              std::to_string((block + 1) * kRowsPerBlock - 1);
  }
  if (ranges.empty()) return "0";
  std::string hex;
  for (uint8_t b : id) {
    static const char kDigits[] = "0123456789abcdef";
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return ranges + ") AND s.trace_id = x'" + hex + "'";  // hex we made: no user text in SQL
}

std::string ConditionClause(WhereBuilder& w, Database& db, const SpanCondition& c,
                            std::vector<std::regex>* regexes) {
  using F = SpanCondition::Field;
  std::vector<std::string> alternatives;
  switch (c.field) {
    case F::kStatusError:
      alternatives.push_back("s.status = 2");
      break;
    case F::kHttpPath:
      for (const auto& v : c.values) {
        try {
          regexes->emplace_back(v, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          throw StoreError("not a regular expression: \"" + v + "\" (" + e.what() + ")");
        }
        alternatives.push_back("(s.protocol IN ('http','grpc') AND path_matches_" +
                               std::to_string(regexes->size() - 1) + "(s.target))");
      }
      break;
    default:
      for (const std::string& v : c.values) {
        switch (c.field) {
          case F::kPid:
            alternatives.push_back("r.pid = " + w.Param(static_cast<int64_t>(std::stoll(v))));
            break;
          case F::kExecutable:
            alternatives.push_back("r.executable GLOB " + w.Param(v));
            break;
          case F::kService:
            alternatives.push_back("r.service_name = " + w.Param(v));
            break;
          case F::kFrom:
          case F::kTo:
            alternatives.push_back(EndpointClause(w, v, c.field == F::kFrom));
            break;
          case F::kProtocol:
            alternatives.push_back("s.protocol = " + w.Param(v));
            break;
          case F::kHttpMethod:
            alternatives.push_back("s.http_method = " + w.Param(v));
            break;
          case F::kHttpStatus: {
            const auto [lo, hi] = ParseRange(v);
            alternatives.push_back("s.http_status BETWEEN " + w.Param(lo) + " AND " + w.Param(hi));
            break;
          }
          case F::kTraceId: {
            const auto id = ParseTraceId(v);
            if (!id) throw StoreError("not a trace id (32 hex digits): \"" + v + "\"");
            alternatives.push_back(TraceClause(w, db, *id));
            break;
          }
          case F::kKind:
            alternatives.push_back(std::string("s.kind = ") + (v == "client" ? "3" : "2"));
            break;
          default:
            break;
        }
      }
  }
  if (alternatives.empty()) return "1";
  const std::string any = OrOf(alternatives);
  // IFNULL: a negated condition on a missing column (no http_status) counts as "not matching".
  return c.negated ? "NOT IFNULL(" + any + ", 0)" : any;
}

}  // namespace

std::optional<TraceId> ParseTraceId(const std::string& hex) {
  if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::nullopt;
  TraceId id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return id;
}

std::unique_ptr<Database> OpenForReading(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw StoreError("no store at " + path + ": `otelbpf run` writes one there (--store PATH " +
                     "names another file)");
  // Read-only yet WAL-aware: SQLite needs the -shm file, which the writer created.
  auto db = std::make_unique<Database>(path, Database::Mode::kReadOnly);
  ConfigureConnection(*db, /*writer=*/false);
  CheckReadable(*db);
  return db;
}

std::vector<StoredSpan> QuerySpans(Database& db, const SpanFilter& filter) {
  WhereBuilder w;
  std::vector<std::regex> regexes;
  regexes.reserve(16);  // addresses handed to SQLite must stay put
  if (filter.since_ns) w.Add("s.start_ns >= " + w.Param(static_cast<int64_t>(filter.since_ns)));
  if (filter.until_ns) w.Add("s.start_ns <= " + w.Param(static_cast<int64_t>(filter.until_ns)));
  if (filter.min_duration_ns)
    w.Add("s.duration_ns >= " + w.Param(static_cast<int64_t>(filter.min_duration_ns)));
  if (filter.after_id) w.Add("s.id > " + w.Param(filter.after_id));
  for (const SpanCondition& c : filter.conditions) {
    if (regexes.size() >= 16) throw StoreError("at most 16 --http-path expressions");
    w.Add(ConditionClause(w, db, c, &regexes));
  }
  for (size_t i = 0; i < regexes.size(); ++i) {
    const std::string name = "path_matches_" + std::to_string(i);
    sqlite3_create_function(db.handle(), name.c_str(), 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                            &regexes[i], PathMatches, nullptr, nullptr);
  }
  static const std::string kSelectLight = SelectWithoutAttributes();
  std::string sql = (filter.with_attributes ? std::string(kSelectAll) : kSelectLight) + w.Sql();
  // With a time window, order by start time so the start_ns index serves both the window and
  // the order (ordered by id, SQLite scanned the whole table to skip a sort: 480 ms at 1 M
  // spans); without one, by row id (insertion order: `--last N` reads the table's tail).
  const std::string order = filter.since_ns && !filter.after_id ? "s.start_ns" : "s.id";
  if (filter.last)
    sql += " ORDER BY " + order + " DESC LIMIT " + std::to_string(filter.last);
  else
    sql += " ORDER BY " + order;
  Statement q(db, sql);
  w.BindAll(q);
  std::vector<StoredSpan> out;
  while (q.Step()) out.push_back(RowToSpan(q));
  if (filter.last) std::reverse(out.begin(), out.end());
  for (size_t i = 0; i < regexes.size(); ++i)  // the regexes die with this call
    sqlite3_create_function(db.handle(), ("path_matches_" + std::to_string(i)).c_str(), 1,
                            SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr);
  return out;
}

std::vector<StoredSpan> TraceSpans(Database& db, const TraceId& trace_id) {
  WhereBuilder w;
  Statement q(db, std::string(kSelectAll) + " WHERE " + TraceClause(w, db, trace_id) +
                      " ORDER BY s.start_ns, s.id");
  std::vector<StoredSpan> out;
  while (q.Step()) out.push_back(RowToSpan(q));
  return out;
}

}  // namespace otelbpf::store
