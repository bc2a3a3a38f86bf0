// The resource attributes of a pod's container (and of the pod as a whole, for naming peers):
// k8s.* from the Pod and its owners, and service.* by the OpenTelemetry semantic conventions'
// rules for Kubernetes (docs/non-normative/k8s-attributes.md of semantic-conventions):
//   service.namespace: annotation resource.opentelemetry.io/service.namespace, else
//                      k8s.namespace.name
//   service.name:      annotation resource.opentelemetry.io/service.name, then (only when the
//                      well-known labels are turned on) label app.kubernetes.io/instance, then
//                      app.kubernetes.io/name, then k8s.deployment.name, k8s.replicaset.name,
//                      k8s.statefulset.name, k8s.daemonset.name, k8s.cronjob.name,
//                      k8s.job.name, k8s.pod.name, k8s.container.name
//   service.version:   annotation resource.opentelemetry.io/service.version, then (labels on)
//                      app.kubernetes.io/version
//   service.instance.id: annotation resource.opentelemetry.io/service.instance.id, else
//                      "<namespace>.<pod>.<container>" (containers only)
// Every other resource.opentelemetry.io/<key> annotation becomes attribute <key>. The
// conventions ask that the use of well-known labels be opt-in: ServiceNamingOptions.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kubernetes/pod_metadata.h"
#include "kubernetes/workload_owners.h"
#include "trace/span.h"

namespace otelbpf::kubernetes {

struct ServiceNamingOptions {
  // Use app.kubernetes.io/instance, /name and /version labels (opt-in, as the conventions say).
  bool well_known_labels = false;
};

// What a lookup returns: the attributes to merge into a process's (or peer's) resource, and
// the fields selection filters on. Immutable once built; shared by every lookup.
struct PodResource {
  Attributes attributes;
  std::string namespace_name;
  std::string pod_name;
  std::string container_name;  // empty for the pod-level resource
  std::string deployment;      // k8s.deployment.name, when the API told it
  std::string service_name;
  std::string service_namespace;
  std::map<std::string, std::string> labels;
};
using PodResourcePtr = std::shared_ptr<const PodResource>;

// The resource of `container` in `pod`, or of the pod itself when container is nullptr.
PodResourcePtr BuildPodResource(const PodMetadata& pod, const WorkloadOwners& owners,
                                const PodContainer* container, const ServiceNamingOptions& options);

// A pod ready for the cache: its resources keyed by container id, and the IPs that name it.
struct PodEntry {
  std::string uid;
  std::string resource_version;
  std::vector<std::string> ips;  // empty for hostNetwork pods and finished ones
  PodResourcePtr pod;
  std::vector<std::pair<std::string, PodResourcePtr>> containers;  // container id -> resource
};

// A host-network pod's IP is its node's, and a finished pod (Succeeded, Failed) has given its
// IP back: neither may name a peer address.
PodEntry BuildPodEntry(const PodMetadata& pod, const WorkloadOwners& owners,
                       const ServiceNamingOptions& options);

}  // namespace otelbpf::kubernetes
