// PodCache: lookups by container id and pod IP through add, modify, delete, relist, the bound.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "fixtures/kubernetes/api_objects.h"
#include "kubernetes/pod_cache.h"

namespace otelbpf::kubernetes {
namespace {

using nlohmann::json;
namespace fx = fixtures;

// A field of a lookup's result, "<none>" when the lookup found nothing.
std::string Pod(const PodResourcePtr& r) { return r ? r->pod_name : "<none>"; }
std::string Service(const PodResourcePtr& r) { return r ? r->service_name : "<none>"; }
std::string Container(const PodResourcePtr& r) { return r ? r->container_name : "<none>"; }

PodEntry Entry(const char* text, const std::function<void(json&)>& edit = nullptr) {
  json object = json::parse(text);
  if (edit) edit(object);
  auto parsed = ParsePod(object);
  EXPECT_TRUE(parsed.pod);
  return BuildPodEntry(*parsed.pod, {}, {});
}

TEST(KubernetesPodCache, FindsContainersAndPodIps) {
  PodCache cache(16);
  EXPECT_EQ(cache.Upsert(Entry(fx::kCheckoutPod)), PodCache::Change::kAdded);
  EXPECT_EQ(cache.Upsert(Entry(fx::kPaymentsPod)), PodCache::Change::kAdded);
  auto app = cache.ForContainer(fx::kCheckoutAppId);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->container_name, "app");
  EXPECT_EQ(app->pod_name, "checkout-7d9f8b6c5d-x2k4p");
  // Upper-case ids (some cgroup drivers) find the same container.
  std::string upper = fx::kCheckoutSidecarId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_TRUE(cache.ForContainer(upper));
  EXPECT_EQ(Container(cache.ForContainer(upper)), "proxy");
  EXPECT_EQ(Service(cache.ForPodIp("10.244.1.23")), "payments");
  EXPECT_EQ(Pod(cache.ForPodIp("fd00:10:244:1::11")), "checkout-7d9f8b6c5d-x2k4p");
  EXPECT_EQ(Service(cache.ForPodIp("::ffff:10.244.1.23")), "payments");  // v4-mapped
  EXPECT_FALSE(cache.ForPodIp("10.244.1.99"));
  EXPECT_FALSE(cache.ForContainer("0000"));
  EXPECT_EQ(cache.pods(), 2u);
  EXPECT_EQ(cache.containers(), 4u);
}

TEST(KubernetesPodCache, ModifyReplacesAndDeleteForgets) {
  PodCache cache(16);
  cache.Upsert(Entry(fx::kCheckoutPod));
  // The proxy container restarted with a new id; the pod got a new label.
  auto modified = Entry(fx::kCheckoutPod, [](json& pod) {
    pod["status"]["containerStatuses"][1]["containerID"] =
        std::string("containerd://") + fx::kReportId;
    pod["metadata"]["labels"]["tier"] = "edge";
  });
  EXPECT_EQ(cache.Upsert(std::move(modified)), PodCache::Change::kUpdated);
  EXPECT_FALSE(cache.ForContainer(fx::kCheckoutSidecarId));
  ASSERT_TRUE(cache.ForContainer(fx::kReportId));
  ASSERT_TRUE(cache.ForContainer(fx::kCheckoutAppId));
  EXPECT_EQ(cache.ForContainer(fx::kCheckoutAppId)->labels.at("tier"), "edge");
  EXPECT_EQ(cache.pods(), 1u);
  EXPECT_TRUE(cache.Remove("5f1c7a52-8a0e-4c4e-9d0c-1a2b3c4d5e01"));
  EXPECT_FALSE(cache.Remove("5f1c7a52-8a0e-4c4e-9d0c-1a2b3c4d5e01"));
  EXPECT_FALSE(cache.ForContainer(fx::kCheckoutAppId));
  EXPECT_FALSE(cache.ForPodIp("10.244.1.17"));
  EXPECT_EQ(cache.containers(), 0u);
}

TEST(KubernetesPodCache, ReusedIpBelongsToTheNewerPod) {
  PodCache cache(16);
  cache.Upsert(Entry(fx::kReportPod));  // 10.244.1.31
  auto newer = Entry(fx::kPaymentsPod, [](json& pod) {
    pod["status"]["podIP"] = "10.244.1.31";
    pod["status"]["podIPs"] = json::array({{{"ip", "10.244.1.31"}}});
  });
  cache.Upsert(std::move(newer));
  EXPECT_EQ(Pod(cache.ForPodIp("10.244.1.31")), "payments-0");
  cache.Remove("8d3e9f74-ac2f-4e6f-9081-3c4d5e6f7003");  // the older pod goes away
  ASSERT_TRUE(cache.ForPodIp("10.244.1.31"));
  EXPECT_EQ(Pod(cache.ForPodIp("10.244.1.31")), "payments-0");
}

TEST(KubernetesPodCache, RelistReplacesEverything) {
  PodCache cache(16);
  cache.Upsert(Entry(fx::kCheckoutPod));
  cache.Upsert(Entry(fx::kReportPod));
  std::vector<PodEntry> listed;
  listed.push_back(Entry(fx::kPaymentsPod));
  listed.push_back(Entry(fx::kNodeAgentPod));
  EXPECT_EQ(cache.ReplaceAll(std::move(listed)), 0u);
  EXPECT_FALSE(cache.ForContainer(fx::kCheckoutAppId));  // gone while the watch was down
  EXPECT_FALSE(cache.ForPodIp("10.244.1.31"));
  EXPECT_TRUE(cache.ForContainer(fx::kPaymentsId));
  EXPECT_TRUE(cache.ForContainer(fx::kNodeAgentId));
  EXPECT_FALSE(cache.ForPodIp("192.168.10.5"));  // host network: the node's IP, not the pod's
  EXPECT_EQ(cache.pods(), 2u);
}

TEST(KubernetesPodCache, BoundedAndCountsDrops) {
  PodCache cache(2);
  cache.Upsert(Entry(fx::kCheckoutPod));
  cache.Upsert(Entry(fx::kPaymentsPod));
  EXPECT_EQ(cache.Upsert(Entry(fx::kReportPod)), PodCache::Change::kDropped);
  EXPECT_EQ(cache.dropped(), 1u);
  EXPECT_FALSE(cache.ForContainer(fx::kReportId));
  // A known pod is still updated when full.
  EXPECT_EQ(cache.Upsert(Entry(fx::kPaymentsPod)), PodCache::Change::kUpdated);
  std::vector<PodEntry> three;
  three.push_back(Entry(fx::kCheckoutPod));
  three.push_back(Entry(fx::kPaymentsPod));
  three.push_back(Entry(fx::kReportPod));
  EXPECT_EQ(cache.ReplaceAll(std::move(three)), 1u);
  EXPECT_EQ(cache.dropped(), 2u);
  EXPECT_EQ(cache.pods(), 2u);
}

TEST(KubernetesPodCache, FiveHundredPodsStayBounded) {
  // A node with 500 pods (two containers each): all found; the 501st beyond a 500 limit is not.
  PodCache cache(500);
  json base = json::parse(fx::kPaymentsPod);
  for (int i = 0; i <= 500; ++i) {
    json pod = base;
    pod["metadata"]["uid"] = "uid-" + std::to_string(i);
    pod["metadata"]["name"] = "pod-" + std::to_string(i);
    pod["status"]["podIP"] = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    pod["status"].erase("podIPs");
    pod["status"]["containerStatuses"] =
        json::array({{{"name", "a"}, {"containerID", "containerd://a" + std::to_string(i)}},
                     {{"name", "b"}, {"containerID", "containerd://b" + std::to_string(i)}}});
    auto parsed = ParsePod(pod);
    ASSERT_TRUE(parsed.pod);
    cache.Upsert(BuildPodEntry(*parsed.pod, {}, {}));
  }
  EXPECT_EQ(cache.pods(), 500u);
  EXPECT_EQ(cache.containers(), 1000u);
  EXPECT_EQ(cache.dropped(), 1u);
  EXPECT_EQ(Pod(cache.ForContainer("b499")), "pod-499");
  EXPECT_FALSE(cache.ForContainer("a500"));
}

TEST(KubernetesPodCache, ConcurrentReadersAndWriter) {
  PodCache cache(16);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> found{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        if (auto r = cache.ForContainer(fx::kCheckoutAppId)) found += r->container_name == "app";
        cache.ForPodIp("10.244.1.17");
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    cache.Upsert(Entry(fx::kCheckoutPod));
    if (i % 3 == 0) cache.Remove("5f1c7a52-8a0e-4c4e-9d0c-1a2b3c4d5e01");
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(found.load(), 0u);
}

}  // namespace
}  // namespace otelbpf::kubernetes
