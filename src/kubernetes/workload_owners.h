// The workload a pod belongs to, walked up its controller ownerReferences: a ReplicaSet and the
// Deployment that controls it, a StatefulSet, a DaemonSet, a Job and the CronJob that controls
// it. Only what the API says is reported: when the ReplicaSet (or Job) cannot be read, the
// Deployment (or CronJob) is left empty; its name is never guessed from the ReplicaSet's.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "kubernetes/pod_metadata.h"

namespace otelbpf::kubernetes {

struct WorkloadOwners {
  std::string replicaset;
  std::string deployment;
  std::string statefulset;
  std::string daemonset;
  std::string job;
  std::string cronjob;
  bool operator==(const WorkloadOwners&) const = default;
};

// Reads the controller of `owned` (a ReplicaSet or a Job in `namespace_name`) from the API.
// nullopt when the object has no controller or could not be read.
using ControllerLookup = std::function<std::optional<OwnerReference>(
    const std::string& namespace_name, const OwnerReference& owned)>;

// Resolves a pod's controller into workload names. `lookup` is called only for a ReplicaSet
// (apps group) or a Job (batch group) controller.
WorkloadOwners ResolveWorkloadOwners(const std::string& namespace_name,
                                     const std::optional<OwnerReference>& pod_controller,
                                     const ControllerLookup& lookup);

// The API group of an apiVersion ("apps/v1" -> "apps", "v1" -> "").
std::string ApiGroupOf(const std::string& api_version);

}  // namespace otelbpf::kubernetes
