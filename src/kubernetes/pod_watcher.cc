// The watcher thread of KubernetesMetadata: list, watch, relist on 410 Gone, resume after a
// dropped watch, and read the ReplicaSets and Jobs that name Deployments and CronJobs.
#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_map>

#include "kubernetes/api_client.h"
#include "kubernetes/kubernetes_metadata.h"
#include "kubernetes/pod_watcher_counters.h"
#include "kubernetes/watch_event.h"
#include "kubernetes/workload_owners.h"

namespace otelbpf::kubernetes {
namespace {

using Clock = std::chrono::steady_clock;

// A list of a node's pods is a few MiB at most (500 pods of ~10 KiB); one watch event is one
// pod. Anything larger is refused rather than buffered.
constexpr size_t kMaxListBytes = 64u << 20;
constexpr size_t kMaxEventBytes = 8u << 20;
constexpr size_t kMaxOwnerBytes = 1u << 20;
constexpr size_t kMaxOwnerCacheEntries = 4096;
constexpr auto kOwnerFailureRetry = std::chrono::seconds(60);

// The controllers of the ReplicaSets and Jobs seen, by the owned object's uid. A failed read is
// remembered for a minute, so a missing RBAC permission costs one request per minute, not one
// per pod event.
class OwnerLookups {
 public:
  OwnerLookups(const ApiClient& client, const std::atomic<bool>& stop,
               std::chrono::milliseconds timeout, std::atomic<uint64_t>* lookups,
               std::atomic<uint64_t>* failures)
      : client_(client), stop_(stop), timeout_(timeout), lookups_(lookups), failures_(failures) {}

  std::optional<OwnerReference> ControllerOf(const std::string& namespace_name,
                                             const OwnerReference& owned) {
    const std::string key = owned.kind + "/" + namespace_name + "/" + owned.name + "/" + owned.uid;
    auto it = cache_.find(key);
    const auto now = Clock::now();
    if (it != cache_.end() && (!it->second.failed || now - it->second.at < kOwnerFailureRetry)) {
      return it->second.controller;
    }
    if (cache_.size() >= kMaxOwnerCacheEntries) cache_.clear();  // rare: re-read on demand
    Entry entry = Fetch(namespace_name, owned);
    entry.at = now;
    auto result = entry.controller;
    cache_[key] = std::move(entry);
    return result;
  }

 private:
  struct Entry {
    std::optional<OwnerReference> controller;
    bool failed = false;
    Clock::time_point at;
  };

  Entry Fetch(const std::string& namespace_name, const OwnerReference& owned) {
    Entry entry;
    const char* plural = owned.kind == "ReplicaSet" ? "replicasets" : "jobs";
    const std::string path = "/apis/" + owned.api_version + "/namespaces/" +
                             ApiClient::EscapeQueryValue(namespace_name) + "/" + plural + "/" +
                             ApiClient::EscapeQueryValue(owned.name);
    lookups_->fetch_add(1);
    auto response = client_.Get(path, kMaxOwnerBytes, timeout_, stop_);
    if (response.status != 200 || response.truncated) {
      failures_->fetch_add(1);
      entry.failed = true;
      if (!warned_) {
        warned_ = true;
        spdlog::warn(
            "kubernetes: cannot read {} {}/{} ({}); its {} is not named (the service account "
            "needs get on replicasets and jobs)",
            owned.kind, namespace_name, owned.name,
            response.error.empty() ? "HTTP " + std::to_string(response.status) : response.error,
            owned.kind == "ReplicaSet" ? "Deployment" : "CronJob");
      }
      return entry;
    }
    auto object = nlohmann::json::parse(response.body, nullptr, false);
    if (object.is_discarded() || !object.is_object()) {
      failures_->fetch_add(1);
      entry.failed = true;
      return entry;
    }
    // Same name, other object (deleted and re-created): not this pod's owner.
    const auto uid = object["metadata"].is_object() && object["metadata"]["uid"].is_string()
                         ? object["metadata"]["uid"].get<std::string>()
                         : std::string();
    if (!owned.uid.empty() && uid != owned.uid) return entry;
    entry.controller = kubernetes::ControllerOf(object);
    return entry;
  }

  const ApiClient& client_;
  const std::atomic<bool>& stop_;
  std::chrono::milliseconds timeout_;
  std::atomic<uint64_t>* lookups_;
  std::atomic<uint64_t>* failures_;
  std::unordered_map<std::string, Entry> cache_;
  bool warned_ = false;
};

enum class WatchOutcome { kEnded, kGone, kFailed, kStopped };

}  // namespace

void KubernetesMetadata::Run() {
  ApiClient client(api_);
  Counters& counters = *counters_;
  OwnerLookups owners(client, stop_, options_.request_timeout, &counters.owner_lookups,
                      &counters.owner_lookup_failures);
  const ControllerLookup lookup = [&](const std::string& ns, const OwnerReference& owned) {
    return owners.ControllerOf(ns, owned);
  };
  auto build = [&](const PodMetadata& pod) {
    return BuildPodEntry(pod, ResolveWorkloadOwners(pod.namespace_name, pod.controller, lookup),
                         options_.naming);
  };
  const std::string selector =
      "fieldSelector=" + ApiClient::EscapeQueryValue("spec.nodeName=" + options_.node_name);
  bool failing = false;  // log a failure once per streak
  auto report = [&](const std::string& what) {
    counters.watch_errors.fetch_add(1);
    if (!failing) spdlog::warn("kubernetes: {} ({}); retrying", what, api_.source);
    failing = true;
  };

  // One full list (all pages); on success the cache is replaced and *rv set.
  auto list = [&](std::string* rv) -> bool {
    std::vector<PodEntry> entries;
    std::string continue_token;
    do {
      std::string path =
          "/api/v1/pods?" + selector + "&limit=" + std::to_string(options_.list_page_size);
      if (!continue_token.empty()) {
        path += "&continue=" + ApiClient::EscapeQueryValue(continue_token);
      }
      auto response = client.Get(path, kMaxListBytes, options_.request_timeout, stop_);
      if (stop_) return false;
      if (!response.error.empty()) {
        report("list of pods failed: " + response.error);
        return false;
      }
      if (response.status != 200 || response.truncated) {
        auto status = SummarizeStatus(response.body);
        report("list of pods answered HTTP " + std::to_string(response.status) + " " +
               status.message + (response.truncated ? " (too large)" : ""));
        return false;
      }
      std::string error;
      auto page = ParseListPage(response.body, &error);
      if (!page) {
        report("list of pods unreadable: " + error);
        return false;
      }
      for (const auto& item : page->items) {
        auto parsed = ParsePod(item);
        if (!parsed.pod) {
          counters.bad_objects.fetch_add(1);
          continue;
        }
        entries.push_back(build(*parsed.pod));
      }
      *rv = page->resource_version;
      continue_token = page->continue_token;
    } while (!continue_token.empty() && !stop_);
    cache_.ReplaceAll(std::move(entries));
    counters.lists.fetch_add(1);
    return true;
  };

  // One watch from *rv, which follows every event and bookmark.
  auto watch = [&](std::string* rv, bool* received) -> WatchOutcome {
    const std::string path = "/api/v1/pods?watch=1&" + selector +
                             "&resourceVersion=" + ApiClient::EscapeQueryValue(*rv) +
                             "&allowWatchBookmarks=true&timeoutSeconds=" +
                             std::to_string(options_.watch_timeout.count());
    bool gone = false;
    std::string event_error;
    auto result = client.Stream(
        path, kMaxEventBytes, options_.watch_timeout + std::chrono::seconds(30), stop_,
        [&](std::string_view line) {
          *received = true;
          std::string error;
          auto event = ParseWatchEvent(line, &error);
          if (!event) {
            counters.bad_objects.fetch_add(1);
            return true;  // one unreadable line: skip it, keep the stream
          }
          switch (event->type) {
            case WatchEvent::Type::kAdded:
            case WatchEvent::Type::kModified: {
              auto parsed = ParsePod(event->object);
              if (!parsed.pod) {
                counters.bad_objects.fetch_add(1);
                break;
              }
              cache_.Upsert(build(*parsed.pod));
              counters.events.fetch_add(1);
              break;
            }
            case WatchEvent::Type::kDeleted: {
              auto parsed = ParsePod(event->object);
              if (!parsed.pod) {
                counters.bad_objects.fetch_add(1);
                break;
              }
              cache_.Remove(parsed.pod->uid);
              counters.events.fetch_add(1);
              break;
            }
            case WatchEvent::Type::kBookmark:
              counters.bookmarks.fetch_add(1);
              break;
            case WatchEvent::Type::kError:
              if (event->error_code == 410) {
                gone = true;
              } else {
                event_error = "watch ERROR event " + std::to_string(event->error_code) + ": " +
                              event->error_message.substr(0, 200);
              }
              return false;  // the server ends the watch after an ERROR anyway
          }
          if (!event->resource_version.empty()) *rv = event->resource_version;
          return true;
        });
    if (stop_) return WatchOutcome::kStopped;
    if (result.oversized_lines > 0) counters.bad_objects.fetch_add(result.oversized_lines);
    if (gone || result.status == 410) return WatchOutcome::kGone;
    if (!event_error.empty()) {
      report(event_error);
      return WatchOutcome::kFailed;
    }
    if (!result.error.empty()) {
      report("pod watch dropped: " + result.error);
      return WatchOutcome::kFailed;
    }
    if (result.status != 200) {
      auto status = SummarizeStatus(result.body);
      report("pod watch answered HTTP " + std::to_string(result.status) + " " + status.message);
      return WatchOutcome::kFailed;
    }
    return WatchOutcome::kEnded;  // the server's timeoutSeconds: resume where it stopped
  };

  std::string rv;
  bool need_list = true;
  auto backoff = options_.backoff_initial;
  auto back_off = [&] {
    const bool go_on = SleepUnlessStopped(backoff);
    backoff = std::min(backoff * 2, options_.backoff_max);
    return go_on;
  };
  while (!stop_) {
    if (need_list) {
      if (!list(&rv)) {
        if (!back_off()) break;
        continue;
      }
      need_list = false;
      synced_ = true;
      if (failing) spdlog::info("kubernetes: pods of node {} listed again", options_.node_name);
      failing = false;
      backoff = options_.backoff_initial;
    }
    bool received = false;
    const WatchOutcome outcome = watch(&rv, &received);
    if (received && outcome != WatchOutcome::kFailed) {
      backoff = options_.backoff_initial;
      failing = false;
    }
    switch (outcome) {
      case WatchOutcome::kStopped:
        return;
      case WatchOutcome::kGone:
        // The resourceVersion left the server's history: list again (the cache is replaced
        // by the new list; lookups keep the old answers until then).
        counters.relists.fetch_add(1);
        need_list = true;
        break;
      case WatchOutcome::kEnded:
        counters.reconnects.fetch_add(1);
        // A server that ends watches at once would make this spin: wait when nothing came.
        if (!received && !back_off()) return;
        break;
      case WatchOutcome::kFailed:
        counters.reconnects.fetch_add(1);
        if (!back_off()) return;
        break;
    }
  }
}

}  // namespace otelbpf::kubernetes
