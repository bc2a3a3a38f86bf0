#include "kubernetes/kubernetes_metadata.h"

#include <fnmatch.h>

#include <unistd.h>

#include <algorithm>

#include "kubernetes/pod_watcher_counters.h"

namespace otelbpf::kubernetes {
namespace {

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::unique_ptr<KubernetesMetadata> KubernetesMetadata::Start(const KubernetesOptions& options,
                                                              const EnvLookup& env,
                                                              std::string* error) {
  if (options.node_name.empty()) {
    *error = "Kubernetes metadata needs the node name (--k8s-node or NODE_NAME)";
    return nullptr;
  }
  std::optional<ApiServerConfig> api = options.api;
  if (!api) api = DiscoverApiServerConfig(env, options.kubeconfig, options.context, error);
  if (!api) return nullptr;
  std::unique_ptr<KubernetesMetadata> metadata(new KubernetesMetadata(options, std::move(*api)));
  metadata->thread_ = std::thread([m = metadata.get()] { m->Run(); });
  return metadata;
}

KubernetesMetadata::KubernetesMetadata(KubernetesOptions options, ApiServerConfig api)
    : options_(std::move(options)),
      api_(std::move(api)),
      cache_(options_.max_pods),
      counters_(std::make_unique<Counters>()) {}

KubernetesMetadata::~KubernetesMetadata() {
  {
    std::lock_guard lock(wake_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool KubernetesMetadata::SleepUnlessStopped(std::chrono::milliseconds delay) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, delay, [this] { return stop_.load(); });
  return !stop_;
}

bool KubernetesMetadata::WaitUntilSynced(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!synced_.load()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

KubernetesStats KubernetesMetadata::stats() const {
  KubernetesStats s;
  const Counters& c = *counters_;
  s.lists = c.lists.load();
  s.relists = c.relists.load();
  s.reconnects = c.reconnects.load();
  s.watch_errors = c.watch_errors.load();
  s.events = c.events.load();
  s.bookmarks = c.bookmarks.load();
  s.bad_objects = c.bad_objects.load();
  s.owner_lookups = c.owner_lookups.load();
  s.owner_lookup_failures = c.owner_lookup_failures.load();
  s.pods_dropped = cache_.dropped();
  s.pods = cache_.pods();
  s.containers = cache_.containers();
  return s;
}

std::string NodeNameFromEnvironment(const std::string& flag, const EnvLookup& env) {
  if (!flag.empty()) return flag;
  if (auto node = env("NODE_NAME"); node && !node->empty()) return *node;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "";
  return host;
}

bool KubernetesSelector::Matches(const PodResource& pod) const {
  // Every criterion is a glob (fnmatch): a plain name matches itself.
  const auto glob = [](const std::string& pattern, const std::string& text) {
    return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
  };
  if (!namespaces.empty() &&
      std::none_of(namespaces.begin(), namespaces.end(),
                   [&](const std::string& n) { return glob(n, pod.namespace_name); })) {
    return false;
  }
  for (const auto& [key, value] : labels) {
    auto it = pod.labels.find(key);
    if (it == pod.labels.end() || !glob(value, it->second)) return false;
  }
  if (deployments.empty()) return true;
  if (pod.deployment.empty()) return false;
  for (const auto& wanted : deployments) {
    const size_t slash = wanted.find('/');
    if (slash == std::string::npos) {
      if (glob(wanted, pod.deployment)) return true;
    } else if (glob(wanted.substr(0, slash), pod.namespace_name) &&
               glob(wanted.substr(slash + 1), pod.deployment)) {
      return true;
    }
  }
  return false;
}

std::optional<KubernetesSelector> ParseKubernetesSelector(std::string_view namespaces,
                                                          std::string_view labels,
                                                          std::string_view deployments,
                                                          std::string* error) {
  KubernetesSelector selector;
  selector.namespaces = SplitList(namespaces);
  for (const auto& label : SplitList(labels)) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "pod label selector '" + label + "' is not key=value";
      return std::nullopt;
    }
    selector.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
  }
  for (const auto& deployment : SplitList(deployments)) {
    const size_t slash = deployment.find('/');
    if (slash == 0 || (slash != std::string::npos && slash + 1 == deployment.size())) {
      *error = "deployment '" + deployment + "' is not name or namespace/name";
      return std::nullopt;
    }
    selector.deployments.push_back(deployment);
  }
  return selector;
}

}  // namespace otelbpf::kubernetes
