// Watch event lines, list pages and Status bodies, and the selection of pods.
#include <gtest/gtest.h>
#include <unistd.h>

#include "fixtures/kubernetes/api_objects.h"
#include "kubernetes/kubernetes_metadata.h"
#include "kubernetes/watch_event.h"

namespace otelbpf::kubernetes {
namespace {

namespace fx = fixtures;
using nlohmann::json;

TEST(KubernetesWatchEvent, TypesAndResourceVersions) {
  std::string error;
  const std::string added =
      json{{"type", "ADDED"}, {"object", json::parse(fx::kPaymentsPod)}}.dump();
  auto event = ParseWatchEvent(added, &error);
  ASSERT_TRUE(event) << error;
  EXPECT_EQ(event->type, WatchEvent::Type::kAdded);
  EXPECT_EQ(event->resource_version, "1200");
  EXPECT_EQ(event->object["metadata"]["name"], "payments-0");

  // The bookmark of "Watch bookmarks": only metadata.resourceVersion is set.
  auto bookmark = ParseWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12746"}}})",
      &error);
  ASSERT_TRUE(bookmark) << error;
  EXPECT_EQ(bookmark->type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(bookmark->resource_version, "12746");

  auto gone =
      ParseWatchEvent(std::string(R"({"type":"ERROR","object":)") + fx::kStatusGone + "}", &error);
  ASSERT_TRUE(gone) << error;
  EXPECT_EQ(gone->type, WatchEvent::Type::kError);
  EXPECT_EQ(gone->error_code, 410);
  EXPECT_NE(gone->error_message.find("too old resource version"), std::string::npos);

  for (const char* type : {"MODIFIED", "DELETED"}) {
    auto e = ParseWatchEvent(json{{"type", type}, {"object", json::parse(fx::kReportPod)}}.dump(),
                             &error);
    ASSERT_TRUE(e) << error;
    EXPECT_EQ(e->resource_version, "1300");
  }
}

TEST(KubernetesWatchEvent, BadLines) {
  std::string error;
  EXPECT_FALSE(ParseWatchEvent("{not json", &error));
  EXPECT_FALSE(ParseWatchEvent(R"({"type":"ADDED"})", &error));
  EXPECT_NE(error.find("without an object"), std::string::npos);
  EXPECT_FALSE(ParseWatchEvent(R"({"type":"RENAMED","object":{}})", &error));
  EXPECT_NE(error.find("unknown type"), std::string::npos);
  EXPECT_FALSE(ParseWatchEvent("[]", &error));
}

TEST(KubernetesListPage, ItemsVersionAndContinue) {
  std::string error;
  json list = {{"kind", "PodList"},
               {"apiVersion", "v1"},
               {"metadata", {{"resourceVersion", "10245"}, {"continue", "ENCODED_CONTINUE_TOKEN"}}},
               {"items", json::array({json::parse(fx::kCheckoutPod)})}};
  auto page = ParseListPage(list.dump(), &error);
  ASSERT_TRUE(page) << error;
  EXPECT_EQ(page->resource_version, "10245");
  EXPECT_EQ(page->continue_token, "ENCODED_CONTINUE_TOKEN");
  EXPECT_EQ(page->items.size(), 1u);
  auto empty = ParseListPage(
      R"({"kind":"PodList","metadata":{"resourceVersion":"7"},"items":null})", &error);
  ASSERT_TRUE(empty) << error;
  EXPECT_TRUE(empty->items.empty());
  EXPECT_FALSE(ParseListPage(R"({"items":[]})", &error));  // no resourceVersion to watch from
  EXPECT_FALSE(ParseListPage(R"({"metadata":{"resourceVersion":"1"},"items":{}})", &error));
}

TEST(KubernetesStatus, Summary) {
  auto forbidden = SummarizeStatus(fx::kStatusForbidden);
  EXPECT_EQ(forbidden.code, 403);
  EXPECT_EQ(forbidden.reason, "Forbidden");
  auto text = SummarizeStatus("Bad Gateway");
  EXPECT_EQ(text.code, 0);
  EXPECT_EQ(text.message, "Bad Gateway");
}

TEST(KubernetesSelector, NamespacesLabelsDeployments) {
  PodResource pod;
  pod.namespace_name = "shop";
  pod.deployment = "checkout";
  pod.labels = {{"tier", "web"}, {"app", "checkout"}};
  std::string error;
  auto any = ParseKubernetesSelector("", "", "", &error);
  ASSERT_TRUE(any);
  EXPECT_TRUE(any->empty());
  EXPECT_TRUE(any->Matches(pod));
  EXPECT_TRUE(ParseKubernetesSelector("shop, billing", "", "", &error)->Matches(pod));
  EXPECT_FALSE(ParseKubernetesSelector("billing", "", "", &error)->Matches(pod));
  EXPECT_TRUE(ParseKubernetesSelector("", "tier=web,app=checkout", "", &error)->Matches(pod));
  EXPECT_FALSE(ParseKubernetesSelector("", "tier=web,app=cart", "", &error)->Matches(pod));
  EXPECT_TRUE(ParseKubernetesSelector("", "", "checkout", &error)->Matches(pod));
  EXPECT_TRUE(ParseKubernetesSelector("", "", "shop/checkout", &error)->Matches(pod));
  EXPECT_FALSE(ParseKubernetesSelector("", "", "other/checkout", &error)->Matches(pod));
  EXPECT_FALSE(ParseKubernetesSelector("", "", "sho/checkout", &error)->Matches(pod));
  EXPECT_FALSE(ParseKubernetesSelector("shop", "", "cart", &error)->Matches(pod));
  PodResource no_deployment = pod;
  no_deployment.deployment.clear();
  EXPECT_FALSE(ParseKubernetesSelector("", "", "checkout", &error)->Matches(no_deployment));
  EXPECT_FALSE(ParseKubernetesSelector("", "tier", "", &error));
  EXPECT_NE(error.find("key=value"), std::string::npos);
  EXPECT_FALSE(ParseKubernetesSelector("", "", "/x", &error));
}

TEST(KubernetesNodeName, FlagThenEnvironmentThenHostName) {
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "NODE_NAME") return std::string("node-from-env");
    return std::nullopt;
  };
  EXPECT_EQ(NodeNameFromEnvironment("node-flag", env), "node-flag");
  EXPECT_EQ(NodeNameFromEnvironment("", env), "node-from-env");
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(NodeNameFromEnvironment("", [](std::string_view) { return std::nullopt; }), host);
}

}  // namespace
}  // namespace otelbpf::kubernetes
