#include "kubernetes/workload_owners.h"

namespace otelbpf::kubernetes {

std::string ApiGroupOf(const std::string& api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

WorkloadOwners ResolveWorkloadOwners(const std::string& namespace_name,
                                     const std::optional<OwnerReference>& pod_controller,
                                     const ControllerLookup& lookup) {
  WorkloadOwners owners;
  if (!pod_controller) return owners;
  const OwnerReference& owner = *pod_controller;
  const std::string group = ApiGroupOf(owner.api_version);
  // Kinds are matched with their API group: a custom resource may reuse a built-in kind name.
  if (group == "apps") {
    if (owner.kind == "ReplicaSet") {
      owners.replicaset = owner.name;
      auto parent = lookup ? lookup(namespace_name, owner) : std::nullopt;
      if (parent && parent->kind == "Deployment" && ApiGroupOf(parent->api_version) == "apps") {
        owners.deployment = parent->name;
      }
    } else if (owner.kind == "StatefulSet") {
      owners.statefulset = owner.name;
    } else if (owner.kind == "DaemonSet") {
      owners.daemonset = owner.name;
    }
  } else if (group == "batch" && owner.kind == "Job") {
    owners.job = owner.name;
    auto parent = lookup ? lookup(namespace_name, owner) : std::nullopt;
    if (parent && parent->kind == "CronJob" && ApiGroupOf(parent->api_version) == "batch") {
      owners.cronjob = parent->name;
    }
  }
  return owners;
}

}  // namespace otelbpf::kubernetes
