// The agent's side of the Kubernetes metadata (src/kubernetes): starting the pod watch as the
// options ask, and the pod selectors of the config file and the --k8s-* flags.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "kubernetes/kubernetes_metadata.h"

namespace otelbpf {

// Starts the Kubernetes metadata watch when the options ask for it (AgentOptions::Kubernetes).
// False (after printing why) when it was asked for and cannot start; true with *out null when
// it was not asked for, or guessed and unavailable (a warning says why).
bool StartKubernetes(const AgentOptions::Kubernetes& options,
                     std::unique_ptr<kubernetes::KubernetesMetadata>* out);

// The pod selectors of the config file's entries and of the --k8s-* flags; on a malformed
// --k8s-pod-label, *error says which and the result is empty.
std::vector<kubernetes::KubernetesSelector> KubernetesSelectors(const AgentOptions& options,
                                                               std::string* error);

}  // namespace otelbpf
