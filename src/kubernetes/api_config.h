// Where the Kubernetes API server is and how to authenticate to it: in a pod, from the
// service account Kubernetes mounts into it; outside, from a kubeconfig file (KUBECONFIG).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace otelbpf::kubernetes {

struct ApiServerConfig {
  std::string server;  // https://host:port (http:// only for tests)
  // Bearer token. When token_file is set it is re-read before each request: a projected
  // service account token is rotated by the kubelet.
  std::string token;
  std::string token_file;
  std::string ca_file;  // PEM bundle that signs the server's certificate
  std::string ca_data;  // the same, in memory (kubeconfig certificate-authority-data, decoded)
  std::string client_cert_file, client_cert_data;  // client certificate (PEM)
  std::string client_key_file, client_key_data;    // its key (PEM)
  bool insecure_skip_tls_verify = false;
  std::string source;  // what this came from, for messages ("in-cluster", "kubeconfig PATH")
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The service account's directory inside a pod.
inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// In-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the token and
// ca.crt of `service_account_dir`. nullopt (with *error) when not in a pod.
std::optional<ApiServerConfig> InClusterConfig(const EnvLookup& env,
                                               const std::string& service_account_dir,
                                               std::string* error);

// Parses a kubeconfig document (YAML or JSON). `context` empty: its current-context. Relative
// file paths are resolved against `base_dir` (the kubeconfig's folder). Credential plugins
// (exec, auth-provider) and basic auth are not supported: a clear error.
std::optional<ApiServerConfig> ParseKubeconfig(std::string_view text, const std::string& base_dir,
                                               const std::string& context, std::string* error);

// Reads the kubeconfig at `path` (the first entry when it is a colon-separated list, as
// KUBECONFIG may be).
std::optional<ApiServerConfig> LoadKubeconfig(const std::string& path, const std::string& context,
                                              std::string* error);

// In a pod (KUBERNETES_SERVICE_HOST set): the service account; otherwise KUBECONFIG, then
// ~/.kube/config. `kubeconfig` non-empty forces that file.
std::optional<ApiServerConfig> DiscoverApiServerConfig(const EnvLookup& env,
                                                       const std::string& kubeconfig,
                                                       const std::string& context,
                                                       std::string* error);

// RFC 4648 base64 (the *-data fields); nullopt on bad input.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace otelbpf::kubernetes
