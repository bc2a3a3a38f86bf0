// What otelbpf keeps of a Kubernetes Pod object (core/v1 Pod, as the API server serves it in
// JSON): identity, addresses, the controller owner, the containers' runtime ids, and the labels
// and annotations the service naming and selection read. Pure: JSON in, plain data out.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace otelbpf::kubernetes {

// metadata.ownerReferences[] entry (meta/v1 OwnerReference).
struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool operator==(const OwnerReference&) const = default;
};

// One entry of status.containerStatuses (or initContainerStatuses, ephemeralContainerStatuses).
struct PodContainer {
  std::string name;     // spec name: k8s.container.name
  std::string runtime;  // "containerd", "docker", "cri-o", ...: the part before "://"
  std::string id;       // the runtime's id, lower case, without the runtime prefix
  std::string image;    // status image (may be empty)
};

struct PodMetadata {
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string node_name;         // spec.nodeName
  std::string phase;             // status.phase: Pending, Running, Succeeded, Failed, Unknown
  std::string resource_version;  // metadata.resourceVersion
  bool host_network = false;     // spec.hostNetwork: the pod's IP is the node's
  bool terminating = false;      // metadata.deletionTimestamp is set
  std::vector<std::string> ips;  // status.podIP and status.podIPs[].ip, without duplicates
  std::optional<OwnerReference> controller;  // the ownerReference with controller: true
  std::map<std::string, std::string> labels;
  // Only the annotations under resource.opentelemetry.io/ (the others are never read).
  std::map<std::string, std::string> otel_annotations;
  std::vector<PodContainer> containers;  // those with a container id only
};

// Bounds on what one pod may bring in (a pod is a few KiB; these stop a pathological object
// from growing the cache). Entries beyond them are ignored, and counted by the caller through
// PodParse::truncated.
inline constexpr size_t kMaxLabelsPerPod = 64;
inline constexpr size_t kMaxAnnotationsPerPod = 32;
inline constexpr size_t kMaxContainersPerPod = 64;
inline constexpr size_t kMaxValueBytes = 1024;

struct PodParse {
  std::optional<PodMetadata> pod;  // nullopt: not a usable Pod (see error)
  std::string error;
  bool truncated = false;  // some labels, annotations or containers were left out
};

// Reads a Pod object. A Pod without metadata.name, metadata.namespace or metadata.uid is
// rejected with an error; missing optional parts (status, owners, ...) are simply absent.
PodParse ParsePod(const nlohmann::json& object);

// Splits "<type>://<container_id>" (ContainerStatus.containerID). The id is lower-cased and
// must be non-empty hex or [a-z0-9_.-] characters (what runtimes use); nullopt otherwise.
struct ContainerIdParts {
  std::string runtime;
  std::string id;
};
std::optional<ContainerIdParts> ParseContainerId(std::string_view text);

// The ownerReference marked controller: true in an object's metadata (a Pod, a ReplicaSet,
// a Job), or nullopt.
std::optional<OwnerReference> ControllerOf(const nlohmann::json& object);

}  // namespace otelbpf::kubernetes
