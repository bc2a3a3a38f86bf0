#include "kubernetes/api_config.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace otelbpf::kubernetes {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

std::string Trim(std::string text) {
  const char* space = " \t\r\n";
  text.erase(0, text.find_first_not_of(space));
  text.erase(text.find_last_not_of(space) + 1);
  return text;
}

std::string Scalar(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap()) return "";
  YAML::Node value = node[key];
  if (!value || !value.IsScalar()) return "";
  return value.as<std::string>();
}

// The entry of a kubeconfig list (clusters, users, contexts) with this name: its `field` map.
YAML::Node Named(const YAML::Node& root, const char* list, const std::string& name,
                 const char* field) {
  YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return YAML::Node();
  for (const auto& entry : entries) {
    if (entry.IsMap() && Scalar(entry, "name") == name) return entry[field];
  }
  return YAML::Node();
}

std::string Resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

bool DecodeInto(const std::string& encoded, const char* what, std::string* out,
                std::string* error) {
  if (encoded.empty()) return true;
  auto decoded = DecodeBase64(encoded);
  if (!decoded) {
    *error = std::string("kubeconfig: ") + what + " is not valid base64";
    return false;
  }
  *out = std::move(*decoded);
  return true;
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
  static const std::array<int8_t, 256> table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = int8_t(i);
    return t;
  }();
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  size_t padding = 0;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | uint32_t(v);
    if (++count == 4) {
      out.push_back(char((bits >> 16) & 0xff));
      out.push_back(char((bits >> 8) & 0xff));
      out.push_back(char(bits & 0xff));
      bits = 0;
      count = 0;
    }
  }
  if (count == 1 || padding > 2) return std::nullopt;
  if (count == 2) out.push_back(char((bits >> 4) & 0xff));
  if (count == 3) {
    out.push_back(char((bits >> 10) & 0xff));
    out.push_back(char((bits >> 2) & 0xff));
  }
  return out;
}

std::optional<ApiServerConfig> InClusterConfig(const EnvLookup& env,
                                               const std::string& service_account_dir,
                                               std::string* error) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    *error = "not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set";
    return std::nullopt;
  }
  ApiServerConfig config;
  // An IPv6 service address needs brackets in a URL.
  const bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  config.token_file = service_account_dir + "/token";
  config.ca_file = service_account_dir + "/ca.crt";
  if (!ReadFile(config.token_file, &config.token)) {
    *error = "cannot read the service account token " + config.token_file;
    return std::nullopt;
  }
  config.token = Trim(config.token);
  config.source = "in-cluster service account";
  return config;
}

std::optional<ApiServerConfig> ParseKubeconfig(std::string_view text, const std::string& base_dir,
                                               const std::string& context, std::string* error) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    *error = std::string("kubeconfig is not valid YAML: ") + e.what();
    return std::nullopt;
  }
  if (!root.IsMap()) {
    *error = "kubeconfig is not a map";
    return std::nullopt;
  }
  const std::string context_name = context.empty() ? Scalar(root, "current-context") : context;
  if (context_name.empty()) {
    *error = "kubeconfig has no current-context (and none was given)";
    return std::nullopt;
  }
  YAML::Node ctx = Named(root, "contexts", context_name, "context");
  if (!ctx || !ctx.IsMap()) {
    *error = "kubeconfig has no context named '" + context_name + "'";
    return std::nullopt;
  }
  const std::string cluster_name = Scalar(ctx, "cluster");
  const std::string user_name = Scalar(ctx, "user");
  YAML::Node cluster = Named(root, "clusters", cluster_name, "cluster");
  if (!cluster || !cluster.IsMap()) {
    *error = "kubeconfig has no cluster named '" + cluster_name + "'";
    return std::nullopt;
  }
  ApiServerConfig config;
  config.server = Scalar(cluster, "server");
  if (config.server.empty()) {
    *error = "kubeconfig cluster '" + cluster_name + "' has no server";
    return std::nullopt;
  }
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  config.ca_file = Resolve(Scalar(cluster, "certificate-authority"), base_dir);
  if (!DecodeInto(Scalar(cluster, "certificate-authority-data"), "certificate-authority-data",
                  &config.ca_data, error)) {
    return std::nullopt;
  }
  config.insecure_skip_tls_verify = Scalar(cluster, "insecure-skip-tls-verify") == "true";

  YAML::Node user = user_name.empty() ? YAML::Node() : Named(root, "users", user_name, "user");
  if (user && user.IsMap()) {
    if (user["exec"] || user["auth-provider"]) {
      *error = "kubeconfig user '" + user_name +
               "' uses a credential plugin (exec or auth-provider), which otelbpf does not run;"
               " use a token or a client certificate";
      return std::nullopt;
    }
    if (user["username"] || user["password"]) {
      *error =
          "kubeconfig user '" + user_name + "' uses basic auth, which otelbpf does not support";
      return std::nullopt;
    }
    config.token = Scalar(user, "token");
    config.token_file = Resolve(Scalar(user, "tokenFile"), base_dir);
    if (config.token.empty() && !config.token_file.empty()) {
      if (!ReadFile(config.token_file, &config.token)) {
        *error = "cannot read the kubeconfig tokenFile " + config.token_file;
        return std::nullopt;
      }
      config.token = Trim(config.token);
    } else {
      config.token_file.clear();  // an inline token wins, as kubectl does
    }
    config.client_cert_file = Resolve(Scalar(user, "client-certificate"), base_dir);
    config.client_key_file = Resolve(Scalar(user, "client-key"), base_dir);
    if (!DecodeInto(Scalar(user, "client-certificate-data"), "client-certificate-data",
                    &config.client_cert_data, error) ||
        !DecodeInto(Scalar(user, "client-key-data"), "client-key-data", &config.client_key_data,
                    error)) {
      return std::nullopt;
    }
  }
  config.source = "kubeconfig context '" + context_name + "'";
  return config;
}

std::optional<ApiServerConfig> LoadKubeconfig(const std::string& path, const std::string& context,
                                              std::string* error) {
  const std::string first = path.substr(0, path.find(':'));
  std::string text;
  if (!ReadFile(first, &text)) {
    *error = "cannot read kubeconfig " + first;
    return std::nullopt;
  }
  auto config =
      ParseKubeconfig(text, std::filesystem::path(first).parent_path().string(), context, error);
  if (config)
    config->source += " of " + first;
  else
    *error += " (" + first + ")";
  return config;
}

std::optional<ApiServerConfig> DiscoverApiServerConfig(const EnvLookup& env,
                                                       const std::string& kubeconfig,
                                                       const std::string& context,
                                                       std::string* error) {
  if (!kubeconfig.empty()) return LoadKubeconfig(kubeconfig, context, error);
  if (auto host = env("KUBERNETES_SERVICE_HOST"); host && !host->empty()) {
    return InClusterConfig(env, kServiceAccountDir, error);
  }
  if (auto path = env("KUBECONFIG"); path && !path->empty()) {
    return LoadKubeconfig(*path, context, error);
  }
  if (auto home = env("HOME"); home && !home->empty()) {
    const std::string path = *home + "/.kube/config";
    if (std::filesystem::exists(path)) return LoadKubeconfig(path, context, error);
  }
  *error =
      "no Kubernetes API server: not in a pod (KUBERNETES_SERVICE_HOST unset), no KUBECONFIG"
      " and no ~/.kube/config";
  return std::nullopt;
}

}  // namespace otelbpf::kubernetes
