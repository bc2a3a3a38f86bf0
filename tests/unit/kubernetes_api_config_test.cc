// kubeconfig and in-cluster configuration, base64 of the *-data fields.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "kubernetes/api_config.h"
#include "map_env.h"

namespace otelbpf::kubernetes {
namespace {

// kubeconfig as kubectl writes it (clusters / users / contexts lists, current-context).
constexpr const char* kKubeconfig = R"yaml(apiVersion: v1
kind: Config
clusters:
- name: staging
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: local
  cluster:
    server: http://127.0.0.1:8001
    certificate-authority: certs/ca.pem
users:
- name: ci
  user:
    token: abc.def.ghi
- name: admin
  user:
    client-certificate: admin.crt
    client-key-data: a2V5
contexts:
- name: staging-ci
  context:
    cluster: staging
    user: ci
    namespace: default
- name: local-admin
  context:
    cluster: local
    user: admin
current-context: staging-ci
preferences: {}
)yaml";

TEST(KubernetesKubeconfig, CurrentContext) {
  std::string error;
  auto config = ParseKubeconfig(kKubeconfig, "/home/me/.kube", "", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(config->token, "abc.def.ghi");
  EXPECT_EQ(config->ca_data, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_TRUE(config->ca_file.empty());
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST(KubernetesKubeconfig, NamedContextAndRelativePaths) {
  std::string error;
  auto config = ParseKubeconfig(kKubeconfig, "/home/me/.kube", "local-admin", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->server, "http://127.0.0.1:8001");
  EXPECT_EQ(config->ca_file, "/home/me/.kube/certs/ca.pem");
  EXPECT_EQ(config->client_cert_file, "/home/me/.kube/admin.crt");
  EXPECT_EQ(config->client_key_data, "key");
  EXPECT_TRUE(config->token.empty());
}

TEST(KubernetesKubeconfig, ClearErrors) {
  std::string error;
  EXPECT_FALSE(ParseKubeconfig(kKubeconfig, "", "nope", &error));
  EXPECT_NE(error.find("no context named 'nope'"), std::string::npos) << error;
  EXPECT_FALSE(ParseKubeconfig("clusters: [", "", "", &error));
  EXPECT_NE(error.find("not valid YAML"), std::string::npos) << error;
  EXPECT_FALSE(ParseKubeconfig("apiVersion: v1\n", "", "", &error));
  EXPECT_NE(error.find("current-context"), std::string::npos) << error;
  const char* exec_user = R"yaml(
clusters: [{name: c, cluster: {server: "https://x"}}]
users: [{name: u, user: {exec: {command: aws}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)yaml";
  EXPECT_FALSE(ParseKubeconfig(exec_user, "", "", &error));
  EXPECT_NE(error.find("credential plugin"), std::string::npos) << error;
  const char* bad_data = R"yaml(
clusters: [{name: c, cluster: {server: "https://x", certificate-authority-data: "@@@"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)yaml";
  EXPECT_FALSE(ParseKubeconfig(bad_data, "", "", &error));
  EXPECT_NE(error.find("base64"), std::string::npos) << error;
}

TEST(KubernetesKubeconfig, JsonIsYamlToo) {
  std::string error;
  auto config = ParseKubeconfig(
      R"({"clusters":[{"name":"c","cluster":{"server":"https://k:443","insecure-skip-tls-verify":true}}],
          "users":[{"name":"u","user":{"token":"t"}}],
          "contexts":[{"name":"x","context":{"cluster":"c","user":"u"}}],
          "current-context":"x"})",
      "", "", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token, "t");
}

TEST(KubernetesInCluster, ServiceAccountFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("otelbpf-sa-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "sa-token\n";
  std::ofstream(dir / "ca.crt") << "pem";
  std::string error;
  auto config = InClusterConfig(test_env::MapEnv({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                                  {"KUBERNETES_SERVICE_PORT", "443"}}),
                                dir.string(), &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token, "sa-token");
  EXPECT_EQ(config->token_file, (dir / "token").string());
  EXPECT_EQ(config->ca_file, (dir / "ca.crt").string());
  auto v6 = InClusterConfig(test_env::MapEnv({{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                              {"KUBERNETES_SERVICE_PORT", "443"}}),
                            dir.string(), &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->server, "https://[fd00::1]:443");
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(InClusterConfig(test_env::MapEnv({}), dir.string(), &error));
  EXPECT_FALSE(InClusterConfig(
      test_env::MapEnv({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}}),
      dir.string(), &error));  // no token file
  EXPECT_NE(error.find("token"), std::string::npos);
}

TEST(KubernetesInCluster, DiscoveryOrder) {
  std::string error;
  EXPECT_FALSE(DiscoverApiServerConfig(test_env::MapEnv({}), "", "", &error));
  EXPECT_NE(error.find("KUBECONFIG"), std::string::npos) << error;
  auto path = std::filesystem::temp_directory_path() / ("otelbpf-kc-" + std::to_string(getpid()));
  std::ofstream(path) << kKubeconfig;
  auto config = DiscoverApiServerConfig(
      test_env::MapEnv({{"KUBECONFIG", path.string() + ":/nope"}}), "", "local-admin", &error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->server, "http://127.0.0.1:8001");
  EXPECT_EQ(config->ca_file, (path.parent_path() / "certs/ca.pem").string());
  std::filesystem::remove(path);
}

TEST(KubernetesBase64, DecodesAndRejects) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVsbA=="), "hell");
  EXPECT_EQ(DecodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("a"));
  EXPECT_FALSE(DecodeBase64("aGV*"));
  EXPECT_FALSE(DecodeBase64("aG=Vs"));
}

}  // namespace
}  // namespace otelbpf::kubernetes
