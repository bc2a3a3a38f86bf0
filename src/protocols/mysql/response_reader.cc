#include "protocols/mysql/response_reader.h"

#include "protocols/mysql/constants.h"
#include "protocols/mysql/server_packets.h"
#include "protocols/mysql/wire_reader.h"

namespace otelbpf::mysql {
namespace {

// COM_STMT_PREPARE_OK: status, statement id, columns, parameters, reserved, warnings; then,
// with optional metadata, whether definitions follow.
constexpr uint64_t kPrepareOkSize = 1 + 4 + 2 + 2 + 1 + 2;

// The first bytes of a message cut by the capture limit cannot be judged: only a message whose
// bytes were all seen can prove the stream wrong.
bool Unreadable(const Message& m) { return m.payload.empty() && m.length > 0; }

}  // namespace

ResponseReader::ResponseReader(ResponseShape shape, uint8_t first_seq) : next_seq_(first_seq) {
  switch (shape) {
    case ResponseShape::kPrepare:
      stage_ = Stage::kPrepareFirst;
      break;
    case ResponseShape::kFieldList:
      stage_ = Stage::kFieldList;
      break;
    case ResponseShape::kRows:
      stage_ = Stage::kRows;
      outcome_.result_sets = 1;
      break;
    case ResponseShape::kSinglePacket:
      stage_ = Stage::kSinglePacket;
      break;
    case ResponseShape::kAuth:
      stage_ = Stage::kAuth;
      break;
    case ResponseShape::kNone:
      stage_ = Stage::kDone;
      break;
    case ResponseShape::kGeneric:
    default:
      stage_ = Stage::kFirst;
      break;
  }
}

ResponseReader::Step ResponseReader::OnServerMessage(const Message& m, ResponseFacts& facts) {
  if (stage_ == Stage::kDone || stage_ == Stage::kInfileData || m.first_seq != next_seq_)
    return Step::kMalformed;
  next_seq_ = m.next_seq;
  switch (stage_) {
    case Stage::kFirst:
      return First(m, facts);
    case Stage::kColumnDefs:
      if (!IsColumnDefinition(m) && m.complete) return Step::kMalformed;
      if (--defs_left_ == 0) stage_ = Stage::kAfterColumnDefs;
      return Step::kMore;
    case Stage::kAfterColumnDefs:
      return AfterColumnDefs(m, facts);
    case Stage::kRows:
      return Row(m, facts);
    case Stage::kPrepareFirst:
      return PrepareFirst(m, facts);
    case Stage::kPrepareDefs:
      return PrepareDef(m, facts);
    case Stage::kPrepareSectionEof:
      return PrepareSectionEof(m, facts);
    case Stage::kFieldList:
      return FieldList(m, facts);
    case Stage::kSinglePacket:
      if (m.first_byte() == kErrHeader && !Unreadable(m)) return Error(m);
      return Done();
    case Stage::kAuth:
      return Auth(m);
    case Stage::kInfileData:
    case Stage::kDone:
      break;
  }
  return Step::kMalformed;
}

bool ResponseReader::TakesClientSeq(uint8_t seq) const {
  return (stage_ == Stage::kInfileData || stage_ == Stage::kAuth) && seq == next_seq_;
}

ResponseReader::Step ResponseReader::OnClientMessage(const Message& m) {
  if (!TakesClientMessage(m)) return Step::kMalformed;
  next_seq_ = m.next_seq;
  // The file's contents and authentication data are never looked at. An empty packet ends the
  // file; the server then answers with OK or ERR.
  if (stage_ == Stage::kInfileData && m.length == 0) stage_ = Stage::kFirst;
  return Step::kMore;
}

ResponseReader::Step ResponseReader::First(const Message& m, ResponseFacts& facts) {
  if (Unreadable(m) || m.length == 0) return Step::kMalformed;
  switch (m.first_byte()) {
    case kOkHeader:
      return EndOfResult(m, facts);
    case kErrHeader:
      return Error(m);
    case kEofHeader:  // COM_SET_OPTION, COM_DEBUG, COM_SHUTDOWN answer with EOF
      if (m.length >= kMaxPacketPayload) return Step::kMalformed;
      return EndOfResult(m, facts);
    case kLocalInfileHeader:
      stage_ = Stage::kInfileData;
      return Step::kMore;
    default:
      break;
  }
  const std::optional<ColumnCount> count = ParseColumnCount(m);
  if (!count) return Step::kMalformed;
  ++outcome_.result_sets;
  defs_left_ = count->metadata_follows ? count->columns : 0;
  stage_ = defs_left_ > 0 ? Stage::kColumnDefs : Stage::kAfterColumnDefs;
  return Step::kMore;
}

ResponseReader::Step ResponseReader::AfterColumnDefs(const Message& m, ResponseFacts& facts) {
  if (IsEofPacket(m)) {
    facts.deprecate_eof = false;
    const std::optional<uint16_t> status = ParseEofStatus(m.payload);
    // A cursor was opened (COM_STMT_EXECUTE with a cursor type): rows come by COM_STMT_FETCH.
    if (status && (*status & server_status::kCursorExists)) return Done();
    stage_ = Stage::kRows;
    return Step::kMore;
  }
  if (facts.deprecate_eof == false) return Step::kMalformed;  // the metadata's EOF was due
  // Without the EOF the metadata runs straight into the rows: CLIENT_DEPRECATE_EOF.
  facts.deprecate_eof = true;
  stage_ = Stage::kRows;
  return Row(m, facts);
}

ResponseReader::Step ResponseReader::Row(const Message& m, ResponseFacts& facts) {
  if (IsRowsTerminator(m)) return EndOfResult(m, facts);
  if (m.first_byte() == kErrHeader && !Unreadable(m)) return Error(m);
  if (m.length == 0) return Step::kMalformed;
  ++outcome_.rows;
  return Step::kMore;
}

ResponseReader::Step ResponseReader::EndOfResult(const Message& m, ResponseFacts& facts) {
  std::optional<uint16_t> status;
  if (IsEofPacket(m)) {
    status = ParseEofStatus(m.payload);
  } else if (std::optional<OkPacket> ok = ParseOk(m.payload, facts.session_track)) {
    status = ok->status;
    if (ok->schema) outcome_.schema = std::string(ok->schema->substr(0, kMaxNamespaceBytes));
  }
  if (!status && m.complete) return Step::kMalformed;
  if (status && (*status & server_status::kMoreResultsExist)) {
    stage_ = Stage::kFirst;
    return Step::kMore;
  }
  return Done();
}

ResponseReader::Step ResponseReader::Error(const Message& m) {
  const std::optional<uint16_t> code = ParseErrorCode(m.payload);
  if (code == kProgressReportCode) return Step::kMore;  // MariaDB progress report, not the end
  outcome_.failed = true;
  outcome_.error_code = code;
  return Done();
}

ResponseReader::Step ResponseReader::PrepareFirst(const Message& m, ResponseFacts& facts) {
  if (m.first_byte() == kErrHeader && !Unreadable(m)) return Error(m);
  if (m.first_byte() != kOkHeader || m.length < kPrepareOkSize || m.length > kPrepareOkSize + 1)
    return Step::kMalformed;
  WireReader r(m.payload);
  r.Skip(1);
  const std::optional<uint64_t> id = r.FixedInt(4);
  const std::optional<uint64_t> columns = r.FixedInt(2);
  const std::optional<uint64_t> params = r.FixedInt(2);
  r.Skip(1 + 2);
  if (!id || !columns || !params) return Step::kMalformed;
  outcome_.statement_id = static_cast<uint32_t>(*id);
  if (m.length == kPrepareOkSize + 1) {
    const std::optional<uint64_t> metadata_follows = r.FixedInt(1);
    if (metadata_follows == 0) return Done();
  }
  prepare_sections_[0] = static_cast<uint16_t>(*params);
  prepare_sections_[1] = static_cast<uint16_t>(*columns);
  prepare_section_ = 0;
  return NextPrepareSection();
}

ResponseReader::Step ResponseReader::NextPrepareSection() {
  while (prepare_section_ < 2 && prepare_sections_[prepare_section_] == 0) ++prepare_section_;
  if (prepare_section_ >= 2) return Done();
  defs_left_ = prepare_sections_[prepare_section_];
  stage_ = Stage::kPrepareDefs;
  return Step::kMore;
}

ResponseReader::Step ResponseReader::PrepareDef(const Message& m, ResponseFacts& facts) {
  if (!IsColumnDefinition(m) && m.complete) return Step::kMalformed;
  if (--defs_left_ > 0) return Step::kMore;
  ++prepare_section_;  // this section is complete
  if (facts.deprecate_eof == true) return NextPrepareSection();
  const bool definitions_follow = prepare_section_ < 2 && prepare_sections_[1] > 0;
  if (!facts.deprecate_eof.has_value() && !definitions_follow) {
    // Whether an EOF still comes is told by the next server message (see may_end_with_eof).
    may_end_with_eof_ = true;
    return Done();
  }
  stage_ = Stage::kPrepareSectionEof;
  return Step::kMore;
}

ResponseReader::Step ResponseReader::PrepareSectionEof(const Message& m, ResponseFacts& facts) {
  if (IsEofPacket(m)) {
    facts.deprecate_eof = false;
    return NextPrepareSection();
  }
  if (facts.deprecate_eof == false) return Step::kMalformed;
  // No EOF after the parameters: CLIENT_DEPRECATE_EOF, and this is a column definition.
  facts.deprecate_eof = true;
  if (NextPrepareSection() != Step::kMore) return Step::kMalformed;
  return PrepareDef(m, facts);
}

ResponseReader::Step ResponseReader::FieldList(const Message& m, ResponseFacts& facts) {
  if (IsColumnDefinition(m)) return Step::kMore;
  if (IsRowsTerminator(m)) return EndOfResult(m, facts);
  if (m.first_byte() == kErrHeader) return Error(m);
  if (!m.complete && m.payload.size() < 4) return Step::kMore;  // a cut definition
  return Step::kMalformed;
}

ResponseReader::Step ResponseReader::Auth(const Message& m) {
  switch (m.first_byte()) {
    case kOkHeader:
      return Done();
    case kErrHeader:
      return Error(m);
    case kEofHeader:           // AuthSwitchRequest: the client answers with the plugin's data
    case kAuthMoreDataHeader:  // more data for the plugin; the client may answer
      return Step::kMore;
    default:
      return Step::kMalformed;
  }
}

ResponseReader::Step ResponseReader::Done() {
  stage_ = Stage::kDone;
  return Step::kDone;
}

}  // namespace otelbpf::mysql
