#pragma once
// NVIDIA GPUs through NVML, opened with dlopen at run time: llmbench has no build dependency on
// the driver, and a machine without the library or without a GPU gets "GPU monitor not
// available: <why>" in its result, never an error (../shared/protocols/NVML.md lists what was
// read on an H200 and its units). Not thread-safe: one sampler thread owns it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace llmbench::monitor {

struct GpuProcessMemory {
  std::uint32_t pid = 0;
  std::optional<double> used_bytes;  // NVML's "not available" value → nullopt
};

// One reading of one device. Every figure NVML refused (an error return or a missing symbol)
// is nullopt, never 0; `errors` says which and why (at most one line per figure).
struct GpuReading {
  std::uint32_t index = 0;
  std::optional<double> utilization_gpu;     // %, over the driver's sampling window
  std::optional<double> utilization_memory;  // %
  std::optional<double> memory_used_bytes;
  std::optional<double> memory_total_bytes;
  std::optional<double> power_w;        // mW / 1000
  std::optional<double> power_limit_w;  // enforced limit
  std::optional<double> energy_j;       // counter since driver load: mJ / 1000
  std::optional<double> temperature_c;
  std::optional<double> sm_clock_mhz;
  std::optional<double> memory_clock_mhz;
  std::optional<double> pcie_tx_bytes_per_s;  // KB/s × 1024
  std::optional<double> pcie_rx_bytes_per_s;
  std::optional<std::vector<GpuProcessMemory>> processes;  // compute processes
  std::vector<std::string> errors;
};

struct GpuDevice {
  std::uint32_t index = 0;
  std::string name;  // "NVIDIA H200"
  std::string uuid;  // "GPU-…"
};

class Nvml {
 public:
  // Opens `library` (dlopen), resolves the symbols, calls nvmlInit_v2 and lists the devices.
  // An error (ErrorCode::kUnreachable) says why in words a user reads next to "GPU monitor
  // not available": "libnvidia-ml.so.1 not found (no NVIDIA driver)", "nvmlInit_v2 failed:
  // NVML_ERROR_DRIVER_NOT_LOADED (9)", "no GPU (nvmlDeviceGetCount_v2 gave 0)", "symbol
  // nvmlInit_v2 missing". A symbol that only some figures need (energy, PCIe, processes) may
  // be missing: those figures are then nullopt with an error line.
  static Expected<std::unique_ptr<Nvml>> open(const std::string& library = "libnvidia-ml.so.1");
  ~Nvml();  // nvmlShutdown, dlclose
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  [[nodiscard]] const std::vector<GpuDevice>& devices() const;
  [[nodiscard]] std::string driver_version() const;  // "" when NVML did not say
  GpuReading read(std::uint32_t index);

 private:
  struct Impl;
  explicit Nvml(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The energy counter across a run, with resets detected rather than hidden: a reading lower
// than the previous one (the driver reloaded, the counter wrapped) starts a new segment, and
// the energy is the sum of the segments' increases; `resets` counts them.
class EnergyCounter {
 public:
  // t: s on the run's clock, non-decreasing; a reading earlier than the last one, or not
  // finite, is dropped.
  void add(double t, double counter_j);
  [[nodiscard]] std::optional<double> joules() const;  // nullopt with fewer than 2 readings
  [[nodiscard]] std::uint32_t resets() const { return resets_; }
  // The energy between t0 and t1, each end linearly interpolated between the readings around
  // it (so a window's energy is not off by one sampling interval); nullopt when the readings
  // do not cover [t0, t1].
  [[nodiscard]] std::optional<double> joules_between(double t0, double t1) const;

 private:
  struct Point {
    double t, cumulative_j;  // cumulative over segments
  };
  std::vector<Point> points_;
  double last_counter_ = 0;
  double offset_ = 0;
  std::uint32_t resets_ = 0;
};

}  // namespace llmbench::monitor
