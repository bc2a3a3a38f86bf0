// Where finished spans go. The pipeline hands each span to every configured sink (OTLP,
// console). Export must never block capture: sinks queue and return at once.
#pragma once

#include "trace/span.h"

namespace otelbpf {

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  // Called on the capture thread. Must not block; drop (and count) when full.
  virtual void Consume(const Span& span) = 0;
  // The same, for the last sink a span goes to: it may keep the span's storage instead of
  // copying it (the export queue does). Same rules as Consume.
  virtual void ConsumeOwned(Span&& span) { Consume(span); }
  // Stop accepting spans and deliver what is queued, waiting at most until the deadline.
  virtual void Shutdown() = 0;
};

}  // namespace otelbpf
