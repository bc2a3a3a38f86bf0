#include "kubernetes/pod_resource.h"

#include <algorithm>
#include <string_view>

namespace otelbpf::kubernetes {
namespace {

constexpr std::string_view kAnnotationPrefix = "resource.opentelemetry.io/";

std::string Lookup(const std::map<std::string, std::string>& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? std::string() : it->second;
}

std::string Annotation(const PodMetadata& pod, std::string_view attribute) {
  return Lookup(pod.otel_annotations, std::string(kAnnotationPrefix) + std::string(attribute));
}

// The first non-empty value.
std::string FirstOf(std::initializer_list<const std::string*> candidates) {
  for (const std::string* value : candidates) {
    if (value != nullptr && !value->empty()) return *value;
  }
  return "";
}

bool HasKey(const Attributes& attributes, std::string_view key) {
  return std::any_of(attributes.begin(), attributes.end(),
                     [&](const Attribute& a) { return a.key == key; });
}

void AddIfSet(Attributes* attributes, std::string_view key, const std::string& value) {
  if (!value.empty()) attributes->push_back({AttributeKey::Static(key), value});
}

}  // namespace

PodResourcePtr BuildPodResource(const PodMetadata& pod, const WorkloadOwners& owners,
                                const PodContainer* container,
                                const ServiceNamingOptions& options) {
  auto resource = std::make_shared<PodResource>();
  resource->namespace_name = pod.namespace_name;
  resource->pod_name = pod.name;
  resource->container_name = container != nullptr ? container->name : "";
  resource->deployment = owners.deployment;
  resource->labels = pod.labels;

  const std::string none;
  const std::string label_instance =
      options.well_known_labels ? Lookup(pod.labels, "app.kubernetes.io/instance") : none;
  const std::string label_name =
      options.well_known_labels ? Lookup(pod.labels, "app.kubernetes.io/name") : none;
  const std::string label_version =
      options.well_known_labels ? Lookup(pod.labels, "app.kubernetes.io/version") : none;
  const std::string annotation_name = Annotation(pod, "service.name");
  const std::string annotation_namespace = Annotation(pod, "service.namespace");
  const std::string annotation_version = Annotation(pod, "service.version");
  const std::string annotation_instance = Annotation(pod, "service.instance.id");

  resource->service_name =
      FirstOf({&annotation_name, &label_instance, &label_name, &owners.deployment,
               &owners.replicaset, &owners.statefulset, &owners.daemonset, &owners.cronjob,
               &owners.job, &pod.name, &resource->container_name});
  resource->service_namespace = FirstOf({&annotation_namespace, &pod.namespace_name});
  const std::string version = FirstOf({&annotation_version, &label_version});
  std::string instance = annotation_instance;
  if (instance.empty() && container != nullptr) {
    instance = pod.namespace_name + "." + pod.name + "." + container->name;
  }

  Attributes& a = resource->attributes;
  a.reserve(16);
  AddIfSet(&a, "service.name", resource->service_name);
  AddIfSet(&a, "service.namespace", resource->service_namespace);
  AddIfSet(&a, "service.version", version);
  AddIfSet(&a, "service.instance.id", instance);
  AddIfSet(&a, "k8s.namespace.name", pod.namespace_name);
  AddIfSet(&a, "k8s.pod.name", pod.name);
  AddIfSet(&a, "k8s.pod.uid", pod.uid);
  AddIfSet(&a, "k8s.node.name", pod.node_name);
  if (container != nullptr) AddIfSet(&a, "k8s.container.name", container->name);
  AddIfSet(&a, "k8s.replicaset.name", owners.replicaset);
  AddIfSet(&a, "k8s.deployment.name", owners.deployment);
  AddIfSet(&a, "k8s.statefulset.name", owners.statefulset);
  AddIfSet(&a, "k8s.daemonset.name", owners.daemonset);
  AddIfSet(&a, "k8s.job.name", owners.job);
  AddIfSet(&a, "k8s.cronjob.name", owners.cronjob);
  // Any other resource.opentelemetry.io/<key> annotation: <key>, unless set above.
  for (const auto& [key, value] : pod.otel_annotations) {
    std::string attribute = key.substr(kAnnotationPrefix.size());
    if (attribute.empty() || value.empty() || HasKey(a, attribute)) continue;
    a.push_back({AttributeKey(std::move(attribute)), value});
  }
  return resource;
}

PodEntry BuildPodEntry(const PodMetadata& pod, const WorkloadOwners& owners,
                       const ServiceNamingOptions& options) {
  PodEntry entry;
  entry.uid = pod.uid;
  entry.resource_version = pod.resource_version;
  const bool finished = pod.phase == "Succeeded" || pod.phase == "Failed";
  if (!pod.host_network && !finished) entry.ips = pod.ips;
  entry.pod = BuildPodResource(pod, owners, nullptr, options);
  entry.containers.reserve(pod.containers.size());
  for (const auto& container : pod.containers) {
    entry.containers.emplace_back(container.id, BuildPodResource(pod, owners, &container, options));
  }
  return entry;
}

}  // namespace otelbpf::kubernetes
