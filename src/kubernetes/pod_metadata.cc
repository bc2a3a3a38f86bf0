#include "kubernetes/pod_metadata.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace otelbpf::kubernetes {
namespace {

using nlohmann::json;

constexpr std::string_view kOtelAnnotationPrefix = "resource.opentelemetry.io/";

// The string at object[key], or "" when absent or not a string.
std::string StringAt(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const json* ObjectAt(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

const json* ArrayAt(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return nullptr;
  return &*it;
}

// Copies string-valued members, at most `limit`, each value capped; true if any was left out.
bool CopyStringMap(const json* from, size_t limit, std::string_view key_prefix,
                   std::map<std::string, std::string>* to) {
  if (from == nullptr) return false;
  bool truncated = false;
  for (const auto& [key, value] : from->items()) {
    if (!value.is_string()) continue;
    if (!key_prefix.empty() && key.rfind(key_prefix, 0) != 0) continue;
    const auto& text = value.get_ref<const std::string&>();
    if (to->size() >= limit || key.size() > kMaxValueBytes || text.size() > kMaxValueBytes) {
      truncated = true;
      continue;
    }
    to->emplace(key, text);
  }
  return truncated;
}

void AddIp(const std::string& ip, std::vector<std::string>* ips) {
  if (ip.empty() || ip.size() > 64) return;
  if (std::find(ips->begin(), ips->end(), ip) == ips->end()) ips->push_back(ip);
}

bool IsIdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

}  // namespace

std::optional<ContainerIdParts> ParseContainerId(std::string_view text) {
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string_view id = text.substr(sep + 3);
  if (id.empty() || id.size() > 128) return std::nullopt;
  ContainerIdParts parts;
  parts.runtime = std::string(text.substr(0, sep));
  parts.id.reserve(id.size());
  for (char c : id) {
    if (!IsIdChar(c)) return std::nullopt;
    parts.id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return parts;
}

std::optional<OwnerReference> ControllerOf(const json& object) {
  const json* metadata = ObjectAt(object, "metadata");
  const json* owners = metadata == nullptr ? nullptr : ArrayAt(*metadata, "ownerReferences");
  if (owners == nullptr) return std::nullopt;
  for (const auto& owner : *owners) {
    if (!owner.is_object()) continue;
    auto controller = owner.find("controller");
    if (controller == owner.end() || !controller->is_boolean() || !controller->get<bool>()) {
      continue;
    }
    OwnerReference ref{StringAt(owner, "apiVersion"), StringAt(owner, "kind"),
                       StringAt(owner, "name"), StringAt(owner, "uid")};
    if (ref.kind.empty() || ref.name.empty()) return std::nullopt;
    return ref;
  }
  return std::nullopt;
}

PodParse ParsePod(const json& object) {
  PodParse result;
  const json* metadata = ObjectAt(object, "metadata");
  if (metadata == nullptr) {
    result.error = "pod object without metadata";
    return result;
  }
  PodMetadata pod;
  pod.name = StringAt(*metadata, "name");
  pod.namespace_name = StringAt(*metadata, "namespace");
  pod.uid = StringAt(*metadata, "uid");
  if (pod.name.empty() || pod.namespace_name.empty() || pod.uid.empty()) {
    result.error = "pod object without metadata.name, metadata.namespace or metadata.uid";
    return result;
  }
  pod.resource_version = StringAt(*metadata, "resourceVersion");
  pod.terminating = !StringAt(*metadata, "deletionTimestamp").empty();
  pod.controller = ControllerOf(object);
  result.truncated |=
      CopyStringMap(ObjectAt(*metadata, "labels"), kMaxLabelsPerPod, "", &pod.labels);
  result.truncated |= CopyStringMap(ObjectAt(*metadata, "annotations"), kMaxAnnotationsPerPod,
                                    kOtelAnnotationPrefix, &pod.otel_annotations);

  if (const json* spec = ObjectAt(object, "spec")) {
    pod.node_name = StringAt(*spec, "nodeName");
    auto host_network = spec->find("hostNetwork");
    pod.host_network =
        host_network != spec->end() && host_network->is_boolean() && host_network->get<bool>();
  }
  if (const json* status = ObjectAt(object, "status")) {
    pod.phase = StringAt(*status, "phase");
    AddIp(StringAt(*status, "podIP"), &pod.ips);
    if (const json* ips = ArrayAt(*status, "podIPs")) {
      for (const auto& ip : *ips) AddIp(StringAt(ip, "ip"), &pod.ips);
    }
    for (const char* list :
         {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
      const json* statuses = ArrayAt(*status, list);
      if (statuses == nullptr) continue;
      for (const auto& container : *statuses) {
        // A container not started yet has no id: nothing can be attributed to it.
        auto id = ParseContainerId(StringAt(container, "containerID"));
        std::string name = StringAt(container, "name");
        if (!id || name.empty()) continue;
        if (pod.containers.size() >= kMaxContainersPerPod) {
          result.truncated = true;
          break;
        }
        pod.containers.push_back({std::move(name), std::move(id->runtime), std::move(id->id),
                                  StringAt(container, "image")});
      }
    }
  }
  result.pod = std::move(pod);
  return result;
}

}  // namespace otelbpf::kubernetes
