#include "routes/route_decorator.h"

#include <algorithm>
#include <utility>

#include "routes/path_template.h"

namespace otelbpf::routes {
namespace {

constexpr std::string_view kHttpRoute = "http.route";
constexpr std::string_view kUrlTemplate = "url.template";

const std::string* StringAttribute(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v ? std::get_if<std::string>(v) : nullptr;
}

void Add(Span& span, std::string_view key, std::string_view value) {
  span.attributes.push_back(Attribute{AttributeKey::Static(key), std::string(value)});
}

// "{method} {target}": the builder named the span by its method ("GET", or "HTTP" for methods
// the conventions do not know), and never by a path.
void NameAfter(Span& span, std::string_view target) { span.name.append(" ").append(target); }

}  // namespace

RouteDecorator::RouteDecorator(const RouteOptions& options, std::vector<std::string>* errors)
    : options_(options) {
  std::vector<std::string> pattern_errors, ignored_errors;
  patterns_ = RouteMatcher::Compile(options.patterns, &pattern_errors);
  ignored_ = RouteMatcher::Compile(options.ignored_patterns, &ignored_errors);
  if (errors) {
    for (std::string& e : pattern_errors) errors->push_back("routes.patterns: " + std::move(e));
    for (std::string& e : ignored_errors)
      errors->push_back("routes.ignored_patterns: " + std::move(e));
  }
  if (options_.placeholder.empty() || options_.placeholder.find('/') != std::string::npos)
    options_.placeholder = "{id}";  // Validate() reports it
  options_.max_templates_per_service = std::max<size_t>(options_.max_templates_per_service, 1);
}

RouteVerdict RouteDecorator::Decorate(Span& span) {
  RouteVerdict verdict;
  if (span.family != SemanticFamily::kHttp) return verdict;
  const std::string* path_attribute = StringAttribute(span, "url.path");
  if (path_attribute == nullptr || path_attribute->empty()) return verdict;
  // A view into the span: adding an attribute may move the vector's strings (a short path
  // lives inside its std::string), so `path` is not read after the first Add below.
  const std::string_view path = *path_attribute;

  if (!ignored_.empty() && ignored_.Find(path)) {
    ++counters_.ignored_spans;
    verdict.traces = options_.ignore_mode == IgnoreMode::kMetrics;
    verdict.metrics = options_.ignore_mode == IgnoreMode::kTraces;
    if (!verdict.metrics) ++counters_.ignored_measurements;
    if (!verdict.traces && !verdict.metrics) return verdict;  // nobody sees its attributes
  }

  const bool server = span.kind == SpanKind::kServer;
  const bool client = span.kind == SpanKind::kClient;
  if (std::optional<std::string_view> route = patterns_.Find(path)) {
    ++counters_.routes_matched;
    Add(span, server ? kHttpRoute : kUrlTemplate, *route);
    if (server || client) NameAfter(span, *route);
    return verdict;
  }

  std::string value;
  switch (options_.unmatched) {
    case Unmatched::kUnset:
      return verdict;
    case Unmatched::kPath:
      value = path;
      break;
    case Unmatched::kWildcard:
      value = kWildcardTemplate;
      break;
    case Unmatched::kHeuristic:
      value = HeuristicTemplate(path, options_.placeholder);
      break;
  }
  ++counters_.templated;
  const std::string_view admitted = Admit(span.resource, value);
  const bool overflow = admitted.data() != value.data();
  const std::string_view held = overflow ? admitted : std::string_view(value);
  const bool as_route = server && options_.unmatched_as_route;
  Add(span, as_route ? kHttpRoute : kUrlTemplate, held);
  // Span names take real routes and templates, never a raw path (the conventions forbid it) nor
  // the overflow marker; a SERVER span is named by its http.route only.
  const bool nameable = !overflow && options_.unmatched != Unmatched::kPath;
  if (nameable && (client || as_route)) NameAfter(span, held);
  return verdict;
}

RouteDecorator::ServiceTemplates& RouteDecorator::ServiceOf(const ResourcePtr& resource) {
  const Resource* key = resource.get();
  // Spans come in runs of one process: skip the hash lookup for those.
  if (last_service_ != nullptr && last_key_ == key &&
      (key == nullptr || !last_service_->resource.expired()))
    return *last_service_;
  auto it = services_.find(key);
  if (it == services_.end()) {
    if (services_.size() >= sweep_at_) SweepExpired();
    it = services_.emplace(key, ServiceTemplates{}).first;
    it->second.resource = resource;
  } else if (key != nullptr && it->second.resource.expired()) {
    // The address of a resource that is gone now names a new process: start it afresh.
    it->second.values.clear();
    it->second.resource = resource;
  }
  last_key_ = key;
  last_service_ = &it->second;
  return it->second;
}

void RouteDecorator::SweepExpired() {
  for (auto it = services_.begin(); it != services_.end();) {
    if (it->first != nullptr && it->second.resource.expired()) {
      it = services_.erase(it);
    } else {
      ++it;
    }
  }
  last_service_ = nullptr;
  last_key_ = nullptr;
  sweep_at_ = std::max<size_t>(64, services_.size() * 2);
}

std::string_view RouteDecorator::Admit(const ResourcePtr& resource, std::string_view value) {
  if (value.size() > kMaxTemplateBytes) {
    ++counters_.templates_overflowed;
    return kOverflowTemplate;
  }
  ServiceTemplates& service = ServiceOf(resource);
  if (service.values.find(value) != service.values.end()) return value;
  if (service.values.size() < options_.max_templates_per_service) {
    service.values.emplace(value);
    return value;
  }
  ++counters_.templates_overflowed;
  return kOverflowTemplate;
}

}  // namespace otelbpf::routes
