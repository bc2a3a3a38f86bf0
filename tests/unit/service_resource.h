// A resource naming one service, for tests of anything kept per resource (metrics, ...).
#pragma once

#include <memory>
#include <string>

#include "trace/span.h"

namespace otelbpf::testing_support {

inline ResourcePtr ServiceResource(const std::string& service_name) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service_name}};
  return r;
}

}  // namespace otelbpf::testing_support
