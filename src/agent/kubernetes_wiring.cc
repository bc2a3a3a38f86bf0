#include "agent/kubernetes_wiring.h"

#include <cstdlib>
#include <optional>
#include <string_view>

#include <spdlog/spdlog.h>

namespace otelbpf {

bool StartKubernetes(const AgentOptions::Kubernetes& options,
                     std::unique_ptr<kubernetes::KubernetesMetadata>* out) {
  const auto env = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const bool in_pod = env("KUBERNETES_SERVICE_HOST").has_value();
  if (options.mode == "false" || (options.mode == "auto" && !in_pod && options.kubeconfig.empty()))
    return true;
  kubernetes::KubernetesOptions k8s;
  k8s.node_name = kubernetes::NodeNameFromEnvironment(options.node, env);
  k8s.kubeconfig = options.kubeconfig;
  k8s.context = options.context;
  k8s.naming.well_known_labels = options.well_known_labels;
  std::string error;
  *out = kubernetes::KubernetesMetadata::Start(k8s, env, &error);
  if (!*out) {
    // Asked for (--kubernetes=true, --kubeconfig): an error. Guessed (auto, in a pod): traces are
    // still worth having without pod names, so say why and go on.
    if (options.mode == "true" || !options.kubeconfig.empty()) {
      spdlog::error("Kubernetes metadata: {}", error);
      return false;
    }
    spdlog::warn("Kubernetes metadata off: {} (--kubernetes=false silences this)", error);
    return true;
  }
  spdlog::info("Kubernetes metadata: watching the pods of node {} on {}", k8s.node_name,
               (*out)->api().server);
  return true;
}

std::vector<kubernetes::KubernetesSelector> KubernetesSelectors(const AgentOptions& options,
                                                               std::string* error) {
  std::vector<kubernetes::KubernetesSelector> out;
  for (const auto& entry : options.kubernetes_selectors) {
    kubernetes::KubernetesSelector& s = out.emplace_back();
    if (!entry.namespace_glob.empty()) s.namespaces.push_back(entry.namespace_glob);
    for (const auto& [key, glob] : entry.pod_labels) s.labels.emplace_back(key, glob);
    if (!entry.deployment_glob.empty()) s.deployments.push_back(entry.deployment_glob);
  }
  const AgentOptions::Kubernetes& k = options.kubernetes;
  if (!k.namespaces.empty() || !k.pod_labels.empty() || !k.deployments.empty()) {
    kubernetes::KubernetesSelector& s = out.emplace_back();
    s.namespaces = k.namespaces;
    s.deployments = k.deployments;
    for (const std::string& label : k.pod_labels) {
      const size_t eq = label.find('=');
      if (eq == std::string::npos || eq == 0) {
        *error = "--k8s-pod-label '" + label + "': expected KEY=VALUE (the value may be a glob)";
        return {};
      }
      s.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
    }
  }
  return out;
}

}  // namespace otelbpf
