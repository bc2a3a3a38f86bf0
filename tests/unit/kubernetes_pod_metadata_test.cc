// ParsePod / ParseContainerId / ControllerOf on Pod objects written from the API reference.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/kubernetes/api_objects.h"
#include "kubernetes/pod_metadata.h"

namespace otelbpf::kubernetes {
namespace {

using nlohmann::json;
namespace fx = fixtures;

TEST(KubernetesContainerId, SplitsRuntimeAndId) {
  auto containerd = ParseContainerId(std::string("containerd://") + fx::kCheckoutAppId);
  ASSERT_TRUE(containerd);
  EXPECT_EQ(containerd->runtime, "containerd");
  EXPECT_EQ(containerd->id, fx::kCheckoutAppId);
  auto crio = ParseContainerId("cri-o://ABCdef0123");
  ASSERT_TRUE(crio);
  EXPECT_EQ(crio->runtime, "cri-o");
  EXPECT_EQ(crio->id, "abcdef0123");  // lower-cased: cgroup paths spell ids in lower case
  auto docker = ParseContainerId("docker://0123abcd");
  ASSERT_TRUE(docker);
  EXPECT_EQ(docker->runtime, "docker");
}

TEST(KubernetesContainerId, RejectsMalformed) {
  EXPECT_FALSE(ParseContainerId(""));
  EXPECT_FALSE(ParseContainerId("containerd://"));
  EXPECT_FALSE(ParseContainerId("://abc"));
  EXPECT_FALSE(ParseContainerId(fx::kCheckoutAppId));  // no runtime prefix
  EXPECT_FALSE(ParseContainerId("containerd://abc/../etc"));
  EXPECT_FALSE(ParseContainerId("containerd://" + std::string(200, 'a')));
}

TEST(KubernetesPod, ReadsIdentityAddressesOwnerAndContainers) {
  auto parsed = ParsePod(json::parse(fx::kCheckoutPod));
  ASSERT_TRUE(parsed.pod) << parsed.error;
  EXPECT_FALSE(parsed.truncated);
  const PodMetadata& pod = *parsed.pod;
  EXPECT_EQ(pod.namespace_name, "shop");
  EXPECT_EQ(pod.name, "checkout-7d9f8b6c5d-x2k4p");
  EXPECT_EQ(pod.uid, "5f1c7a52-8a0e-4c4e-9d0c-1a2b3c4d5e01");
  EXPECT_EQ(pod.node_name, "node-1");
  EXPECT_EQ(pod.phase, "Running");
  EXPECT_EQ(pod.resource_version, "901");
  EXPECT_FALSE(pod.host_network);
  EXPECT_FALSE(pod.terminating);
  EXPECT_EQ(pod.ips, (std::vector<std::string>{"10.244.1.17", "fd00:10:244:1::11"}));
  ASSERT_TRUE(pod.controller);
  EXPECT_EQ(pod.controller->kind, "ReplicaSet");
  EXPECT_EQ(pod.controller->name, "checkout-7d9f8b6c5d");
  EXPECT_EQ(pod.controller->api_version, "apps/v1");
  EXPECT_EQ(pod.labels.at("tier"), "web");
  EXPECT_EQ(pod.labels.size(), 5u);
  // Only resource.opentelemetry.io/ annotations are kept.
  EXPECT_EQ(pod.otel_annotations.size(), 1u);
  EXPECT_EQ(pod.otel_annotations.at("resource.opentelemetry.io/deployment.environment.name"),
            "production");
  ASSERT_EQ(pod.containers.size(), 3u);
  EXPECT_EQ(pod.containers[0].name, "app");
  EXPECT_EQ(pod.containers[0].runtime, "containerd");
  EXPECT_EQ(pod.containers[0].id, fx::kCheckoutAppId);
  EXPECT_EQ(pod.containers[1].name, "proxy");
  EXPECT_EQ(pod.containers[1].id, fx::kCheckoutSidecarId);  // upper case in the object
  EXPECT_EQ(pod.containers[2].name, "migrate");             // init containers count too
  EXPECT_EQ(pod.containers[2].id, fx::kCheckoutInitId);
}

TEST(KubernetesPod, HostNetworkAndPendingPods) {
  auto agent = ParsePod(json::parse(fx::kNodeAgentPod));
  ASSERT_TRUE(agent.pod);
  EXPECT_TRUE(agent.pod->host_network);
  ASSERT_EQ(agent.pod->containers.size(), 1u);
  EXPECT_EQ(agent.pod->containers[0].runtime, "docker");

  auto pending = ParsePod(json::parse(fx::kPendingPod));
  ASSERT_TRUE(pending.pod);
  EXPECT_TRUE(pending.pod->containers.empty());  // no containerID yet: nothing to attribute
  EXPECT_TRUE(pending.pod->ips.empty());
  EXPECT_FALSE(pending.pod->controller);
}

TEST(KubernetesPod, RejectsObjectsWithoutIdentity) {
  EXPECT_FALSE(ParsePod(json::parse(R"({"kind":"Pod"})")).pod);
  EXPECT_FALSE(ParsePod(json::parse(R"({"metadata":{"name":"a","namespace":"b"}})")).pod);
  EXPECT_FALSE(ParsePod(json::parse(R"([1,2])")).pod);
  auto wrong_types = ParsePod(json::parse(
      R"({"metadata":{"name":"a","namespace":"b","uid":"u","labels":{"x":1},"ownerReferences":"no"},
          "spec":{"hostNetwork":"yes"},"status":{"podIPs":[{"ip":5}],"containerStatuses":[{"name":7}]}})"));
  ASSERT_TRUE(wrong_types.pod) << wrong_types.error;  // wrong types are ignored, not fatal
  EXPECT_TRUE(wrong_types.pod->labels.empty());
  EXPECT_FALSE(wrong_types.pod->host_network);
  EXPECT_TRUE(wrong_types.pod->containers.empty());
}

TEST(KubernetesPod, BoundsLabelsAndContainers) {
  json pod = json::parse(fx::kPendingPod);
  for (int i = 0; i < 100; ++i) pod["metadata"]["labels"]["l" + std::to_string(i)] = "v";
  json statuses = json::array();
  for (int i = 0; i < 100; ++i) {
    statuses.push_back({{"name", "c" + std::to_string(i)},
                        {"containerID", "containerd://" + std::to_string(1000 + i)}});
  }
  pod["status"]["containerStatuses"] = statuses;
  auto parsed = ParsePod(pod);
  ASSERT_TRUE(parsed.pod);
  EXPECT_TRUE(parsed.truncated);
  EXPECT_EQ(parsed.pod->labels.size(), kMaxLabelsPerPod);
  EXPECT_EQ(parsed.pod->containers.size(), kMaxContainersPerPod);
}

TEST(KubernetesPod, ControllerIsTheReferenceMarkedController) {
  json rs = json::parse(fx::kCheckoutReplicaSet);
  auto controller = ControllerOf(rs);
  ASSERT_TRUE(controller);
  EXPECT_EQ(controller->kind, "Deployment");
  EXPECT_EQ(controller->name, "checkout");
  // An owner that is not the controller does not count.
  rs["metadata"]["ownerReferences"][0]["controller"] = false;
  EXPECT_FALSE(ControllerOf(rs));
  rs["metadata"]["ownerReferences"][0].erase("controller");
  EXPECT_FALSE(ControllerOf(rs));
}

}  // namespace
}  // namespace otelbpf::kubernetes
