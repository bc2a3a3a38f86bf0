// KubernetesMetadata against a local fake API server (tests/kubernetes/): the list (two pages),
// a watch stream with ADDED / MODIFIED / DELETED / BOOKMARK that is then cut, a resumed watch
// answered by an ERROR event with code 410, a relist, a watch answered by HTTP 410 Gone, a
// second relist and a last watch held open. No cluster can run here; the responses are
// written from the API reference (tests/kubernetes/README.md).
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "../kubernetes/fake_api_server.h"
#include "fixtures/kubernetes/api_objects.h"
#include "kubernetes/kubernetes_metadata.h"

namespace otelbpf::kubernetes {
namespace {

using nlohmann::json;
using testing::FakeApiServer;
namespace fx = fixtures;
using Reply = FakeApiServer::Reply;

std::string PodList(const std::string& rv, std::vector<json> items, const std::string& next = "") {
  json list = {{"kind", "PodList"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", rv}}}};
  if (!next.empty()) list["metadata"]["continue"] = next;
  list["items"] = std::move(items);
  return list.dump();
}

std::string Event(const char* type, json object) {
  return json{{"type", type}, {"object", std::move(object)}}.dump() + "\n";
}

json WithVersion(const char* pod, const std::string& rv) {
  json object = json::parse(pod);
  object["metadata"]["resourceVersion"] = rv;
  return object;
}

json Bookmark(const std::string& rv) {
  return {{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", rv}}}};
}

std::string Attr(const PodResource& r, std::string_view key) {
  for (const auto& a : r.attributes) {
    if (a.key == key) return std::get<std::string>(a.value);
  }
  return "<absent>";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Answers in the order a correct client asks; `gate` holds the second watch until the test
// has looked at the state the first one left.
class Script {
 public:
  Reply Answer(const FakeApiServer::Request& request) {
    const std::string& t = request.target;
    if (Contains(t, "/replicasets/checkout-7d9f8b6c5d")) return {200, fx::kCheckoutReplicaSet};
    if (Contains(t, "/jobs/nightly-report-29012345")) return {403, fx::kStatusForbidden};
    if (!Contains(t, "/api/v1/pods?")) return {404, "{}"};
    if (!Contains(t, "watch=1")) return List(t);
    int watch;
    {
      std::lock_guard lock(mutex_);
      watch = ++watches_;
    }
    switch (watch) {
      case 1: {
        json modified = WithVersion(fx::kCheckoutPod, "1250");
        modified["metadata"]["labels"]["tier"] = "edge";
        Reply r;
        r.chunks = {Event("ADDED", WithVersion(fx::kPaymentsPod, "1200")),
                    Event("MODIFIED", modified),
                    Event("DELETED", WithVersion(fx::kReportPod, "1300")),
                    Event("BOOKMARK", Bookmark("1500"))};
        r.end = Reply::End::kDrop;  // the connection is cut mid-stream
        return r;
      }
      case 2: {
        std::unique_lock lock(mutex_);
        gate_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
        Reply r;
        r.chunks = {std::string(R"({"type":"ERROR","object":)") + fx::kStatusGone + "}\n"};
        return r;
      }
      case 3:
        return {410, fx::kStatusGone};
      default: {
        Reply r;
        r.chunks = {Event("BOOKMARK", Bookmark("3100")),
                    Event("ADDED", WithVersion(fx::kReportPod, "3200"))};
        r.end = Reply::End::kHold;
        return r;
      }
    }
  }

  void Open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    gate_.notify_all();
  }

 private:
  Reply List(const std::string& target) {
    std::lock_guard lock(mutex_);
    if (Contains(target, "continue=page-2")) {
      return {200, PodList("1000", {json::parse(fx::kReportPod)})};
    }
    ++lists_;
    if (lists_ == 1) return {200, PodList("1000", {json::parse(fx::kCheckoutPod)}, "page-2")};
    json edge = json::parse(fx::kCheckoutPod);
    edge["metadata"]["labels"]["tier"] = "edge";
    if (lists_ == 2) {
      return {200,
              PodList("2000", {edge, json::parse(fx::kPaymentsPod), json::parse(fx::kPendingPod)})};
    }
    return {200,
            PodList("3000", {edge, json::parse(fx::kPaymentsPod), json::parse(fx::kNodeAgentPod)})};
  }

  std::mutex mutex_;
  std::condition_variable gate_;
  bool open_ = false;
  int watches_ = 0;
  int lists_ = 0;
};

KubernetesOptions TestOptions(const std::string& url) {
  KubernetesOptions options;
  options.node_name = "node-1";
  ApiServerConfig api;
  api.server = url;
  api.token = "test-token";
  api.source = "fake API server";
  options.api = api;
  options.backoff_initial = std::chrono::milliseconds(20);
  options.backoff_max = std::chrono::milliseconds(100);
  options.watch_timeout = std::chrono::seconds(30);
  options.request_timeout = std::chrono::milliseconds(5000);
  return options;
}

const std::function<std::optional<std::string>(std::string_view)> kNoEnv = [](std::string_view) {
  return std::nullopt;
};

TEST(KubernetesWatch, ListWatchDropGoneAndRelist) {
  Script script;
  FakeApiServer server([&](const FakeApiServer::Request& r) { return script.Answer(r); });
  ASSERT_TRUE(server.ok());
  std::string error;
  auto k8s = KubernetesMetadata::Start(TestOptions(server.url()), kNoEnv, &error);
  ASSERT_TRUE(k8s) << error;
  ASSERT_TRUE(k8s->WaitUntilSynced(std::chrono::seconds(10)));

  // The first watch was applied and cut; the client resumed from the bookmark's version.
  auto resumed = [&] {
    for (const auto& r : server.requests()) {
      if (Contains(r.target, "watch=1") && Contains(r.target, "resourceVersion=1500")) return true;
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(resumed));
  auto payments = k8s->ForContainer(fx::kPaymentsId);  // ADDED
  ASSERT_TRUE(payments);
  EXPECT_EQ(payments->service_name, "payments");
  auto checkout = k8s->ForContainer(fx::kCheckoutAppId);  // MODIFIED
  ASSERT_TRUE(checkout);
  EXPECT_EQ(checkout->labels.at("tier"), "edge");
  EXPECT_FALSE(k8s->ForContainer(fx::kReportId));  // DELETED
  EXPECT_FALSE(k8s->ForPodIp("10.244.1.31"));
  KubernetesStats mid = k8s->stats();
  EXPECT_EQ(mid.lists, 1u);
  EXPECT_EQ(mid.events, 3u);
  EXPECT_EQ(mid.bookmarks, 1u);
  EXPECT_EQ(mid.reconnects, 1u);
  EXPECT_EQ(mid.watch_errors, 1u);  // the cut stream
  script.Open();

  // ERROR 410 -> relist -> HTTP 410 -> relist -> the last watch.
  ASSERT_TRUE(WaitFor([&] { return k8s->ForContainer(fx::kReportId) != nullptr; }));
  KubernetesStats s = k8s->stats();
  EXPECT_EQ(s.lists, 3u);
  EXPECT_EQ(s.relists, 2u);
  EXPECT_EQ(s.reconnects, 1u);
  EXPECT_EQ(s.watch_errors, 1u);
  EXPECT_EQ(s.events, 4u);
  EXPECT_EQ(s.bookmarks, 2u);
  EXPECT_EQ(s.bad_objects, 0u);
  EXPECT_EQ(s.owner_lookups, 2u);  // the ReplicaSet once (cached), the Job once (403, cached)
  EXPECT_EQ(s.owner_lookup_failures, 1u);
  EXPECT_EQ(s.pods, 4u);  // checkout, payments, node agent, report
  EXPECT_EQ(s.pods_dropped, 0u);

  // The cache is the last list plus the last watch.
  checkout = k8s->ForContainer(fx::kCheckoutSidecarId);
  ASSERT_TRUE(checkout);
  EXPECT_EQ(Attr(*checkout, "k8s.deployment.name"), "checkout");  // through the ReplicaSet
  EXPECT_EQ(Attr(*checkout, "service.name"), "checkout");
  EXPECT_EQ(Attr(*checkout, "k8s.container.name"), "proxy");
  auto report = k8s->ForContainer(fx::kReportId);
  ASSERT_TRUE(report);
  EXPECT_EQ(Attr(*report, "k8s.job.name"), "nightly-report-29012345");
  EXPECT_EQ(Attr(*report, "k8s.cronjob.name"), "<absent>");  // the Job could not be read
  EXPECT_EQ(report->service_name, "nightly-report-29012345");
  EXPECT_TRUE(k8s->ForContainer(fx::kNodeAgentId));
  EXPECT_FALSE(k8s->ForPodIp("192.168.10.5"));  // host network
  ASSERT_TRUE(k8s->ForPodIp("10.244.1.23"));
  EXPECT_EQ(k8s->ForPodIp("10.244.1.23")->service_name, "payments");
  ASSERT_TRUE(k8s->ForPodIp("10.244.1.17"));
  EXPECT_EQ(k8s->ForPodIp("10.244.1.17")->service_name, "checkout");

  // What the client asked, in order.
  std::vector<std::string> watches, lists;
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.authorization, "Bearer test-token") << r.target;
    if (!Contains(r.target, "/api/v1/pods?")) continue;
    EXPECT_TRUE(Contains(r.target, "fieldSelector=spec.nodeName%3Dnode-1")) << r.target;
    (Contains(r.target, "watch=1") ? watches : lists).push_back(r.target);
  }
  ASSERT_EQ(lists.size(), 4u);  // 2 pages, then 2 relists
  EXPECT_TRUE(Contains(lists[1], "continue=page-2"));
  ASSERT_EQ(watches.size(), 4u);
  const char* versions[] = {"resourceVersion=1000", "resourceVersion=1500", "resourceVersion=2000",
                            "resourceVersion=3000"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(Contains(watches[i], versions[i])) << watches[i];
    EXPECT_TRUE(Contains(watches[i], "allowWatchBookmarks=true")) << watches[i];
  }

  // Stopping aborts the watch held open, promptly.
  const auto before = std::chrono::steady_clock::now();
  k8s.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(3));
}

TEST(KubernetesWatch, RefusedListIsRetriedAndCounted) {
  std::atomic<int> calls{0};
  FakeApiServer server([&](const FakeApiServer::Request&) {
    ++calls;
    return Reply{403, fx::kStatusForbidden};
  });
  ASSERT_TRUE(server.ok());
  std::string error;
  auto k8s = KubernetesMetadata::Start(TestOptions(server.url()), kNoEnv, &error);
  ASSERT_TRUE(k8s) << error;
  EXPECT_FALSE(k8s->WaitUntilSynced(std::chrono::milliseconds(300)));
  ASSERT_TRUE(WaitFor([&] { return calls >= 3; }));
  EXPECT_GE(k8s->stats().watch_errors, 3u);
  EXPECT_EQ(k8s->stats().lists, 0u);
  EXPECT_FALSE(k8s->ForPodIp("10.244.1.17"));
}

TEST(KubernetesWatch, UnreachableServerIsRetriedAndStopsPromptly) {
  KubernetesOptions options = TestOptions("http://127.0.0.1:1");  // nothing listens there
  std::string error;
  auto k8s = KubernetesMetadata::Start(options, kNoEnv, &error);
  ASSERT_TRUE(k8s) << error;
  ASSERT_TRUE(WaitFor([&] { return k8s->stats().watch_errors >= 2; }));
  const auto before = std::chrono::steady_clock::now();
  k8s.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(3));
}

TEST(KubernetesWatch, StartNeedsNodeAndConfiguration) {
  std::string error;
  KubernetesOptions options;
  EXPECT_FALSE(KubernetesMetadata::Start(options, kNoEnv, &error));
  EXPECT_NE(error.find("node name"), std::string::npos) << error;
  options.node_name = "node-1";
  EXPECT_FALSE(KubernetesMetadata::Start(options, kNoEnv, &error));
  EXPECT_NE(error.find("KUBECONFIG"), std::string::npos) << error;
}

}  // namespace
}  // namespace otelbpf::kubernetes
