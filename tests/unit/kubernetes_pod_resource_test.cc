// Workload owners and the service.* rules of the semantic conventions for Kubernetes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/kubernetes/api_objects.h"
#include "kubernetes/pod_resource.h"
#include "kubernetes/workload_owners.h"

namespace otelbpf::kubernetes {
namespace {

using nlohmann::json;
namespace fx = fixtures;

PodMetadata Pod(const char* text) {
  auto parsed = ParsePod(json::parse(text));
  EXPECT_TRUE(parsed.pod) << parsed.error;
  return parsed.pod.value_or(PodMetadata{});
}

// A lookup answering from objects, recording what it was asked.
struct FakeApi {
  std::vector<std::string> asked;
  std::map<std::string, const char*> objects;  // "Kind/ns/name" -> JSON
  ControllerLookup lookup() {
    return [this](const std::string& ns,
                  const OwnerReference& owned) -> std::optional<OwnerReference> {
      const std::string key = owned.kind + "/" + ns + "/" + owned.name;
      asked.push_back(key);
      auto it = objects.find(key);
      if (it == objects.end()) return std::nullopt;  // unreadable (e.g. 403)
      return ControllerOf(json::parse(it->second));
    };
  }
};

std::string Attr(const PodResource& r, std::string_view key) {
  for (const auto& a : r.attributes) {
    if (a.key == key) return std::get<std::string>(a.value);
  }
  return "<absent>";
}

TEST(KubernetesOwners, ReplicaSetLeadsToDeploymentThroughTheApi) {
  FakeApi api;
  api.objects["ReplicaSet/shop/checkout-7d9f8b6c5d"] = fx::kCheckoutReplicaSet;
  PodMetadata pod = Pod(fx::kCheckoutPod);
  WorkloadOwners owners = ResolveWorkloadOwners(pod.namespace_name, pod.controller, api.lookup());
  EXPECT_EQ(owners.replicaset, "checkout-7d9f8b6c5d");
  EXPECT_EQ(owners.deployment, "checkout");
  EXPECT_EQ(api.asked, std::vector<std::string>{"ReplicaSet/shop/checkout-7d9f8b6c5d"});
}

TEST(KubernetesOwners, UnreadableReplicaSetNamesNoDeployment) {
  FakeApi api;  // the ReplicaSet cannot be read
  PodMetadata pod = Pod(fx::kCheckoutPod);
  WorkloadOwners owners = ResolveWorkloadOwners(pod.namespace_name, pod.controller, api.lookup());
  EXPECT_EQ(owners.replicaset, "checkout-7d9f8b6c5d");
  EXPECT_EQ(owners.deployment, "");  // never guessed by stripping the hash
}

TEST(KubernetesOwners, JobLeadsToCronJob) {
  FakeApi api;
  api.objects["Job/batch/nightly-report-29012345"] = fx::kReportJob;
  PodMetadata pod = Pod(fx::kReportPod);
  WorkloadOwners owners = ResolveWorkloadOwners(pod.namespace_name, pod.controller, api.lookup());
  EXPECT_EQ(owners.job, "nightly-report-29012345");
  EXPECT_EQ(owners.cronjob, "nightly-report");
}

TEST(KubernetesOwners, StatefulSetAndDaemonSetNeedNoLookup) {
  FakeApi api;
  PodMetadata payments = Pod(fx::kPaymentsPod);
  EXPECT_EQ(ResolveWorkloadOwners("shop", payments.controller, api.lookup()).statefulset,
            "payments");
  PodMetadata agent = Pod(fx::kNodeAgentPod);
  EXPECT_EQ(ResolveWorkloadOwners("kube-system", agent.controller, api.lookup()).daemonset,
            "node-agent");
  EXPECT_TRUE(api.asked.empty());
}

TEST(KubernetesOwners, KindsOfOtherApiGroupsAreNotWorkloads) {
  FakeApi api;
  OwnerReference custom{"example.com/v1", "ReplicaSet", "not-apps", "u"};
  EXPECT_EQ(ResolveWorkloadOwners("ns", custom, api.lookup()), WorkloadOwners{});
  EXPECT_TRUE(api.asked.empty());
  EXPECT_EQ(ApiGroupOf("apps/v1"), "apps");
  EXPECT_EQ(ApiGroupOf("v1"), "");
}

TEST(KubernetesServiceName, DeploymentNamesTheServiceWithoutLabels) {
  PodMetadata pod = Pod(fx::kCheckoutPod);
  WorkloadOwners owners{"checkout-7d9f8b6c5d", "checkout"};
  auto r = BuildPodResource(pod, owners, &pod.containers[0], ServiceNamingOptions{});
  EXPECT_EQ(r->service_name, "checkout");
  EXPECT_EQ(Attr(*r, "service.name"), "checkout");
  EXPECT_EQ(Attr(*r, "service.namespace"), "shop");
  EXPECT_EQ(Attr(*r, "service.instance.id"), "shop.checkout-7d9f8b6c5d-x2k4p.app");
  EXPECT_EQ(Attr(*r, "service.version"), "<absent>");  // the label is opt-in
  EXPECT_EQ(Attr(*r, "k8s.namespace.name"), "shop");
  EXPECT_EQ(Attr(*r, "k8s.pod.name"), "checkout-7d9f8b6c5d-x2k4p");
  EXPECT_EQ(Attr(*r, "k8s.pod.uid"), "5f1c7a52-8a0e-4c4e-9d0c-1a2b3c4d5e01");
  EXPECT_EQ(Attr(*r, "k8s.node.name"), "node-1");
  EXPECT_EQ(Attr(*r, "k8s.container.name"), "app");
  EXPECT_EQ(Attr(*r, "k8s.replicaset.name"), "checkout-7d9f8b6c5d");
  EXPECT_EQ(Attr(*r, "k8s.deployment.name"), "checkout");
  EXPECT_EQ(Attr(*r, "k8s.statefulset.name"), "<absent>");
  // Other resource.opentelemetry.io/ annotations become attributes.
  EXPECT_EQ(Attr(*r, "deployment.environment.name"), "production");
}

TEST(KubernetesServiceName, WellKnownLabelsWhenTurnedOn) {
  PodMetadata pod = Pod(fx::kCheckoutPod);
  WorkloadOwners owners{"checkout-7d9f8b6c5d", "checkout"};
  ServiceNamingOptions labels_on{true};
  auto r = BuildPodResource(pod, owners, &pod.containers[0], labels_on);
  EXPECT_EQ(r->service_name, "checkout-eu");  // app.kubernetes.io/instance comes first
  EXPECT_EQ(Attr(*r, "service.version"), "2.4.1");
  pod.labels.erase("app.kubernetes.io/instance");
  r = BuildPodResource(pod, owners, &pod.containers[0], labels_on);
  EXPECT_EQ(r->service_name, "checkout");  // then app.kubernetes.io/name
}

TEST(KubernetesServiceName, AnnotationWinsOverEverything) {
  PodMetadata pod = Pod(fx::kPaymentsPod);
  WorkloadOwners owners;
  owners.statefulset = "payments-set";
  auto r = BuildPodResource(pod, owners, &pod.containers[0], ServiceNamingOptions{true});
  EXPECT_EQ(r->service_name, "payments");
  EXPECT_EQ(r->service_namespace, "billing");
  EXPECT_EQ(Attr(*r, "service.namespace"), "billing");
  EXPECT_EQ(Attr(*r, "k8s.statefulset.name"), "payments-set");
  // Annotations already used for service.* are not repeated.
  size_t names = 0;
  for (const auto& a : r->attributes) names += a.key == "service.name";
  EXPECT_EQ(names, 1u);
}

TEST(KubernetesServiceName, FallbackOrderFollowsTheConventions) {
  PodMetadata pod = Pod(fx::kReportPod);
  WorkloadOwners owners;
  owners.job = "nightly-report-29012345";
  EXPECT_EQ(BuildPodResource(pod, owners, &pod.containers[0], {})->service_name,
            "nightly-report-29012345");
  owners.cronjob = "nightly-report";  // cronjob comes before job
  EXPECT_EQ(BuildPodResource(pod, owners, &pod.containers[0], {})->service_name, "nightly-report");
  owners.daemonset = "ds";  // daemonset before cronjob
  EXPECT_EQ(BuildPodResource(pod, owners, &pod.containers[0], {})->service_name, "ds");
  owners.statefulset = "sts";
  EXPECT_EQ(BuildPodResource(pod, owners, &pod.containers[0], {})->service_name, "sts");
  owners.replicaset = "rs";
  EXPECT_EQ(BuildPodResource(pod, owners, &pod.containers[0], {})->service_name, "rs");
  owners.deployment = "deploy";
  EXPECT_EQ(BuildPodResource(pod, owners, &pod.containers[0], {})->service_name, "deploy");
  // No owner at all: the pod's name.
  EXPECT_EQ(BuildPodResource(pod, WorkloadOwners{}, &pod.containers[0], {})->service_name,
            "nightly-report-29012345-abcde");
}

TEST(KubernetesPodEntry, HostNetworkAndFinishedPodsHaveNoPeerIps) {
  PodMetadata agent = Pod(fx::kNodeAgentPod);
  EXPECT_TRUE(BuildPodEntry(agent, {}, {}).ips.empty());
  PodMetadata report = Pod(fx::kReportPod);
  EXPECT_EQ(BuildPodEntry(report, {}, {}).ips, std::vector<std::string>{"10.244.1.31"});
  report.phase = "Succeeded";
  EXPECT_TRUE(BuildPodEntry(report, {}, {}).ips.empty());
}

TEST(KubernetesPodEntry, OneResourcePerContainerAndOneForThePod) {
  PodMetadata pod = Pod(fx::kCheckoutPod);
  PodEntry entry = BuildPodEntry(pod, WorkloadOwners{"checkout-7d9f8b6c5d", "checkout"}, {});
  ASSERT_EQ(entry.containers.size(), 3u);
  EXPECT_EQ(entry.containers[1].first, fx::kCheckoutSidecarId);
  EXPECT_EQ(Attr(*entry.containers[1].second, "k8s.container.name"), "proxy");
  EXPECT_EQ(Attr(*entry.pod, "k8s.container.name"), "<absent>");
  EXPECT_EQ(Attr(*entry.pod, "service.instance.id"), "<absent>");
  EXPECT_EQ(entry.pod->service_name, "checkout");
}

}  // namespace
}  // namespace otelbpf::kubernetes
