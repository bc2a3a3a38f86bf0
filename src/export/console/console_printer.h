// Prints spans on a terminal: one readable line each (text) or one JSON object each (json).
// The embedded default when no collector is configured, and handy beside OTLP.
#pragma once

#include <cstdio>
#include <string>

#include "trace/span_sink.h"

namespace otelbpf {

enum class ConsoleFormat { kText, kJson };

// Formatting is pure so it can be tested without a terminal.
std::string FormatSpanText(const Span& span);
std::string FormatSpanJson(const Span& span);

class ConsolePrinter : public SpanSink {
 public:
  ConsolePrinter(ConsoleFormat format, FILE* out);
  void Consume(const Span& span) override;
  void Shutdown() override;
  // Called after each ring-buffer drain: one flush per batch, not per span.
  void Flush();

 private:
  ConsoleFormat format_;
  FILE* out_;
};

}  // namespace otelbpf
