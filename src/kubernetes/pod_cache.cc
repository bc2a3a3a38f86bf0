#include "kubernetes/pod_cache.h"

#include <cctype>
#include <mutex>

namespace otelbpf::kubernetes {

void PodCache::IndexLocked(const PodEntry& entry) {
  for (const auto& [id, resource] : entry.containers) by_container_[id] = resource;
  // Two pods may briefly claim one IP (a new pod given the address of one being deleted):
  // the latest write names it, and removing the older pod leaves the newer mapping alone.
  for (const auto& ip : entry.ips) {
    ip_owner_[ip] = entry.uid;
    by_ip_[ip] = entry.pod;
  }
}

void PodCache::UnindexLocked(const PodEntry& entry) {
  for (const auto& [id, resource] : entry.containers) {
    auto it = by_container_.find(id);
    if (it != by_container_.end() && it->second == resource) by_container_.erase(it);
  }
  for (const auto& ip : entry.ips) {
    auto owner = ip_owner_.find(ip);
    if (owner == ip_owner_.end() || owner->second != entry.uid) continue;
    ip_owner_.erase(owner);
    by_ip_.erase(ip);
  }
}

PodCache::Change PodCache::Upsert(PodEntry entry) {
  std::unique_lock lock(mutex_);
  auto it = pods_.find(entry.uid);
  if (it == pods_.end()) {
    if (pods_.size() >= max_pods_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return Change::kDropped;
    }
    IndexLocked(entry);
    std::string uid = entry.uid;
    pods_.emplace(std::move(uid), std::move(entry));
    return Change::kAdded;
  }
  UnindexLocked(it->second);
  IndexLocked(entry);
  it->second = std::move(entry);
  return Change::kUpdated;
}

bool PodCache::Remove(const std::string& uid) {
  std::unique_lock lock(mutex_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return false;
  UnindexLocked(it->second);
  pods_.erase(it);
  return true;
}

size_t PodCache::ReplaceAll(std::vector<PodEntry> entries) {
  std::unique_lock lock(mutex_);
  pods_.clear();
  by_container_.clear();
  ip_owner_.clear();
  by_ip_.clear();
  size_t dropped = 0;
  for (auto& entry : entries) {
    if (pods_.count(entry.uid) == 0 && pods_.size() >= max_pods_) {
      ++dropped;
      continue;
    }
    auto it = pods_.find(entry.uid);
    if (it != pods_.end()) UnindexLocked(it->second);
    IndexLocked(entry);
    std::string uid = entry.uid;
    pods_.insert_or_assign(std::move(uid), std::move(entry));
  }
  dropped_.fetch_add(dropped, std::memory_order_relaxed);
  return dropped;
}

PodResourcePtr PodCache::ForContainer(std::string_view container_id) const {
  // Ids are kept lower case; lower-case the key only when needed (no allocation otherwise).
  std::string lowered;
  for (size_t i = 0; i < container_id.size(); ++i) {
    if (std::isupper(static_cast<unsigned char>(container_id[i]))) {
      lowered.assign(container_id);
      for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      container_id = lowered;
      break;
    }
  }
  std::shared_lock lock(mutex_);
  auto it = by_container_.find(container_id);
  return it == by_container_.end() ? nullptr : it->second;
}

PodResourcePtr PodCache::ForPodIp(std::string_view ip) const {
  // A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6; the API writes them as IPv4.
  constexpr std::string_view kMapped = "::ffff:";
  if (ip.size() > kMapped.size() && ip.substr(0, kMapped.size()) == kMapped &&
      ip.find('.') != std::string_view::npos) {
    ip.remove_prefix(kMapped.size());
  }
  std::shared_lock lock(mutex_);
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : it->second;
}

size_t PodCache::pods() const {
  std::shared_lock lock(mutex_);
  return pods_.size();
}

size_t PodCache::containers() const {
  std::shared_lock lock(mutex_);
  return by_container_.size();
}

}  // namespace otelbpf::kubernetes
