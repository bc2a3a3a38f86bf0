#include "agent/floor.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <spdlog/spdlog.h>

#include "agent/preflight.h"
#include "floor.skel.h"

namespace otelbpf {
namespace {
std::atomic<bool> g_floor_stop{false};
void OnFloorSignal(int) { g_floor_stop.store(true); }
}  // namespace

int RunFloor() {
  PreflightResult pre = RunPreflight();
  for (const auto& e : pre.errors) spdlog::error("{}", e);
  if (!pre.errors.empty()) return 1;
  struct floor* skel = floor__open_and_load();
  if (!skel || floor__attach(skel) != 0) {
    spdlog::error("cannot load or attach the floor programs");
    if (skel) floor__destroy(skel);
    return 1;
  }
  signal(SIGINT, OnFloorSignal);
  signal(SIGTERM, OnFloorSignal);
  spdlog::info("otelbpf is ready: floor programs attached");
  while (!g_floor_stop.load()) pause();
  floor__destroy(skel);
  return 0;
}

}  // namespace otelbpf
