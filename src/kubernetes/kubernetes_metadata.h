// Kubernetes metadata for the processes and peers otelbpf sees (issue 15, part 2).
//
// Watches the pods of this node only (fieldSelector spec.nodeName=<node>) on the API server:
// a list, then a watch from the list's resourceVersion with bookmarks; a 410 Gone (as HTTP
// status or as an ERROR event) makes it list again, a dropped or ended watch resumes from the
// last resourceVersion seen, with exponential backoff after failures. It runs on its own thread;
// lookups are thread-safe and never wait on the network.
//
// For the integrator:
//   KubernetesOptions options;                 // node_name: --k8s-node / NODE_NAME / hostname
//   options.node_name = NodeNameFromEnvironment(flag_value, env);
//   std::string error;
//   auto k8s = KubernetesMetadata::Start(options, env, &error);   // nullptr + error on failure
//   ...
//   if (auto r = k8s->ForContainer(container_id)) merge r->attributes into the process resource
//   if (auto r = k8s->ForPodIp(peer_ip_text))     name the peer r->service_name (the pod's)
//   k8s->stats()                               // self-metrics
//   KubernetesSelector selector = ParseKubernetesSelector(namespaces, labels, deployments);
//   selector.Matches(*r)                       // namespace / label / deployment selection
// Container ids are the runtime's id without "<runtime>://" (64 hex characters for
// containerd, CRI-O and Docker). ForPodIp only knows pods of this node.
//
// RBAC the service account needs: get/list/watch pods; get replicasets (apps) and jobs (batch)
// to name Deployments and CronJobs (without them, only the ReplicaSet or Job is named).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kubernetes/api_config.h"
#include "kubernetes/pod_cache.h"
#include "kubernetes/pod_resource.h"

namespace otelbpf::kubernetes {

struct KubernetesOptions {
  std::string node_name;               // required: whose pods to watch
  std::string kubeconfig;              // "" = in a pod the service account, else KUBECONFIG
  std::string context;                 // kubeconfig context ("" = current-context)
  std::optional<ApiServerConfig> api;  // set: use this instead of discovering one
  size_t max_pods = 1024;              // pods kept (a node runs at most a few hundred)
  ServiceNamingOptions naming;
  std::chrono::seconds watch_timeout{300};           // timeoutSeconds of each watch request
  std::chrono::milliseconds request_timeout{30000};  // lists and single gets
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  size_t list_page_size = 500;
};

// Self-metrics (monotonic counters, except pods/containers).
struct KubernetesStats {
  uint64_t lists = 0;         // successful full lists (the first one included)
  uint64_t relists = 0;       // lists forced by 410 Gone
  uint64_t reconnects = 0;    // watches restarted from the last resourceVersion
  uint64_t watch_errors = 0;  // failed lists and watches, ERROR events other than 410
  uint64_t events = 0;        // ADDED, MODIFIED and DELETED events applied
  uint64_t bookmarks = 0;
  uint64_t bad_objects = 0;    // pods or events that could not be read (ignored)
  uint64_t pods_dropped = 0;   // pods not kept: max_pods reached
  uint64_t owner_lookups = 0;  // ReplicaSet / Job reads
  uint64_t owner_lookup_failures = 0;
  uint64_t pods = 0;        // pods tracked now
  uint64_t containers = 0;  // container ids tracked now
};

class KubernetesMetadata {
 public:
  // Finds the API server (options.api, else DiscoverApiServerConfig) and starts watching.
  // Returns nullptr with *error when there is no API server configuration or no node name;
  // an unreachable server is not an error here (the watcher keeps retrying, stats tell).
  static std::unique_ptr<KubernetesMetadata> Start(const KubernetesOptions& options,
                                                   const EnvLookup& env, std::string* error);
  ~KubernetesMetadata();  // stops the watcher thread (aborts a transfer in progress)
  KubernetesMetadata(const KubernetesMetadata&) = delete;
  KubernetesMetadata& operator=(const KubernetesMetadata&) = delete;

  PodResourcePtr ForContainer(std::string_view container_id) const {
    return cache_.ForContainer(container_id);
  }
  PodResourcePtr ForPodIp(std::string_view ip) const { return cache_.ForPodIp(ip); }

  // True once the first list has been applied; waits at most `timeout` for it.
  bool WaitUntilSynced(std::chrono::milliseconds timeout) const;
  KubernetesStats stats() const;
  const ApiServerConfig& api() const { return api_; }

 private:
  KubernetesMetadata(KubernetesOptions options, ApiServerConfig api);
  void Run();  // the watcher thread (pod_watcher.cc)

  // Sleeps up to `delay`; false when stopping.
  bool SleepUnlessStopped(std::chrono::milliseconds delay);

  KubernetesOptions options_;
  ApiServerConfig api_;
  PodCache cache_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> synced_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  struct Counters;
  std::unique_ptr<Counters> counters_;
  std::thread thread_;
};

// The node whose pods to watch: the flag, else NODE_NAME (set from spec.nodeName through the
// downward API in otelbpf's DaemonSet), else the host name (equal to the node name on most
// installations, not all: set NODE_NAME).
std::string NodeNameFromEnvironment(const std::string& flag, const EnvLookup& env);

// Selection of processes by their pod: every non-empty criterion must match.
struct KubernetesSelector {
  std::vector<std::string> namespaces;                      // any of
  std::vector<std::pair<std::string, std::string>> labels;  // all of (key=value)
  std::vector<std::string> deployments;                     // any of: "name" or "namespace/name"
  bool empty() const { return namespaces.empty() && labels.empty() && deployments.empty(); }
  bool Matches(const PodResource& pod) const;
};

// Builds a selector from comma-separated lists ("a,b", "app=x,tier=web", "ns/checkout,cart").
// nullopt with *error for a label without '=' or an empty name.
std::optional<KubernetesSelector> ParseKubernetesSelector(std::string_view namespaces,
                                                          std::string_view labels,
                                                          std::string_view deployments,
                                                          std::string* error);

}  // namespace otelbpf::kubernetes
