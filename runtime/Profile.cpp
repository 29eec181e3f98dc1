//===- Profile.cpp - Time per parallel region of the generated code -------===//
//
// Generated code calls dnnrt_parallel_for once per loop nest with a static
// region name; while profiling is on, the calling thread times each call
// and adds it here. Regions are few (tens per entry), so a mutex-protected
// vector searched by name pointer costs nothing next to a loop. With
// DNN_PROFILE=1 in the environment profiling starts when the library loads
// and the table goes to stderr at exit, for any host application.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>

using namespace dnnrt;

namespace {

struct Region {
  const char *name;
  int64_t calls = 0;
  std::chrono::steady_clock::duration time{};
};

struct Profile {
  std::atomic<bool> enabled{false};
  std::mutex mutex;
  std::vector<Region> regions;
};

Profile &profile() {
  static Profile *instance = new Profile(); // Never destroyed: used at exit.
  return *instance;
}

void printAtExit() {
  Profile &p = profile();
  std::lock_guard<std::mutex> lock(p.mutex);
  std::vector<Region> sorted = p.regions;
  std::sort(sorted.begin(), sorted.end(),
            [](const Region &a, const Region &b) { return a.time > b.time; });
  double total = 0;
  for (const Region &r : sorted)
    total += std::chrono::duration<double>(r.time).count();
  std::fprintf(stderr, "dnn profile (DNN_PROFILE=1): %zu regions, %.3f ms in all\n",
               sorted.size(), total * 1e3);
  std::fprintf(stderr, "%10s %12s %10s %7s  %s\n", "calls", "total ms", "mean us", "share",
               "region");
  for (const Region &r : sorted) {
    if (r.calls == 0)
      continue;
    double seconds = std::chrono::duration<double>(r.time).count();
    std::fprintf(stderr, "%10lld %12.3f %10.2f %6.1f%%  %s\n", static_cast<long long>(r.calls),
                 seconds * 1e3, seconds * 1e6 / double(r.calls),
                 total > 0 ? 100 * seconds / total : 0.0, r.name ? r.name : "?");
  }
}

/// DNN_PROFILE=1 (or any value but 0 or empty) when the library loads.
struct EnvironmentSwitch {
  EnvironmentSwitch() {
    const char *value = std::getenv("DNN_PROFILE");
    if (value && *value && std::string(value) != "0") {
      profile().enabled.store(true);
      std::atexit(printAtExit);
    }
  }
} environmentSwitch;

} // namespace

bool dnnrt::profiling() noexcept { return profile().enabled.load(std::memory_order_relaxed); }

void dnnrt::recordRegion(const char *region,
                         std::chrono::steady_clock::duration elapsed) noexcept {
  Profile &p = profile();
  std::lock_guard<std::mutex> lock(p.mutex);
  auto it = std::find_if(p.regions.begin(), p.regions.end(),
                         [&](const Region &r) { return r.name == region; });
  if (it == p.regions.end()) {
    try {
      p.regions.push_back({region});
    } catch (...) {
      return; // Out of memory: the profile misses a call, the program goes on.
    }
    it = std::prev(p.regions.end());
  }
  ++it->calls;
  it->time += elapsed;
}

extern "C" void dnn_profile_enable(int32_t enabled) { profile().enabled.store(enabled != 0); }

extern "C" void dnn_profile_reset(void) {
  // Zeroes the counts but keeps the regions seen, so that recording after a
  // reset allocates nothing (dnn-run profile counts the heap calls).
  Profile &p = profile();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (Region &r : p.regions) {
    r.calls = 0;
    r.time = {};
  }
}

extern "C" int32_t dnn_profile_count(void) {
  Profile &p = profile();
  std::lock_guard<std::mutex> lock(p.mutex);
  return static_cast<int32_t>(p.regions.size());
}

extern "C" dnn_status dnn_profile_get(int32_t index, dnn_profile_record *out) {
  return guarded([&]() -> dnn_status {
    Profile &p = profile();
    std::lock_guard<std::mutex> lock(p.mutex);
    if (!out || index < 0 || static_cast<size_t>(index) >= p.regions.size())
      return fail(DNN_ERROR_INVALID_ARGUMENT,
                  "dnn_profile_get: index %d out of range (%zu regions) or null record", index,
                  p.regions.size());
    const Region &r = p.regions[index];
    out->region = r.name ? r.name : "?";
    out->calls = r.calls;
    out->seconds = std::chrono::duration<double>(r.time).count();
    return DNN_OK;
  });
}
