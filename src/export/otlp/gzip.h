// gzip compression of request bodies (Content-Encoding: gzip for OTLP/HTTP).
#pragma once

#include <string>
#include <string_view>

namespace otelbpf::otlp {

// Compresses `input` as a gzip member into `out` (replacing its content, reusing its
// capacity). Returns false only if zlib fails, which it does not for in-memory input.
bool GzipCompress(std::string_view input, std::string* out);

}  // namespace otelbpf::otlp
