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
  // Stop accepting spans and deliver what is queued, waiting at most until the deadline.
  virtual void Shutdown() = 0;
};

}  // namespace otelbpf
