// A fake libnvidia-ml for the tests: a shared library exporting NVML's C entry points (the ones
// monitor/nvml.cc resolves), whose answers the test sets through the fake_nvml_* functions it
// reaches by dlopen of the same path (the loader hands back the already loaded instance).
//
// Variants, built from this one source:
//   FAKE_NVML_WITHOUT_OPTIONAL    no energy, PCIe or process-list symbols
//   FAKE_NVML_WITHOUT_INIT        no nvmlInit_v2
//   FAKE_NVML_V1_PROCESSES_ONLY   the process list only as the unversioned call (v1 struct)
//
// The state is process-wide on purpose: it stands for the driver's, which is process-wide too.
// Not thread-safe; the tests call it from one thread.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "monitor/nvml_abi.h"

namespace abi = llmbench::monitor::nvml_abi;

namespace llmbench::monitor::nvml_abi {

// The handle nvmlDeviceGetHandleByIndex_v2 gives: one per fake device.
struct DeviceState {
  unsigned int index = 0;
  Utilization utilization{42, 17};
  Memory memory{80ULL << 30, 79ULL << 30, 1ULL << 30};
  unsigned int power_mw = 250'000;
  unsigned int power_limit_mw = 700'000;
  unsigned long long energy_mj = 1'234'567;
  unsigned int temperature_c = 55;
  unsigned int sm_clock_mhz = 1500;
  unsigned int memory_clock_mhz = 3201;
  unsigned int pcie_tx_kb_per_s = 1000;
  unsigned int pcie_rx_kb_per_s = 2000;
  std::vector<ProcessInfoV2> processes;
};

}  // namespace llmbench::monitor::nvml_abi

namespace {

constexpr unsigned int kMaxFakeDevices = 8;

struct FakeDriver {
  unsigned int device_count = 1;
  int init_refcount = 0;
  std::map<std::string, abi::Return, std::less<>> failures;  // function → injected return
  std::map<std::string, int, std::less<>> calls;             // function → times called
  std::vector<abi::DeviceState> devices = std::vector<abi::DeviceState>(kMaxFakeDevices);

  FakeDriver() {
    for (unsigned int i = 0; i < kMaxFakeDevices; ++i) devices[i].index = i;
  }
};

FakeDriver& driver() {
  static FakeDriver instance;
  return instance;
}

// Counts the call, then gives the injected failure for `function`, or the uninitialised error
// a real library gives before nvmlInit_v2, or success.
abi::Return enter(const char* function, bool needs_init = true) {
  FakeDriver& d = driver();
  ++d.calls[function];
  if (auto it = d.failures.find(function); it != d.failures.end()) return it->second;
  if (needs_init && d.init_refcount == 0) return abi::kErrorUninitialized;
  return abi::kSuccess;
}

abi::Return copy_string(const std::string& text, char* out, unsigned int length) {
  if (out == nullptr) return abi::kErrorInvalidArgument;
  if (text.size() + 1 > length) return abi::kErrorInsufficientSize;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return abi::kSuccess;
}

template <class Info>
abi::Return copy_processes(const abi::DeviceState* device, unsigned int* count, Info* infos) {
  if (device == nullptr || count == nullptr) return abi::kErrorInvalidArgument;
  const auto& processes = device->processes;
  // As NVML: too small a buffer gets the count needed and INSUFFICIENT_SIZE.
  if (processes.size() > *count) {
    *count = static_cast<unsigned int>(processes.size());
    return abi::kErrorInsufficientSize;
  }
  if (infos == nullptr && !processes.empty()) return abi::kErrorInvalidArgument;
  for (std::size_t i = 0; i < processes.size(); ++i) {
    infos[i] = Info{};
    infos[i].pid = processes[i].pid;
    infos[i].used_gpu_memory = processes[i].used_gpu_memory;
    if constexpr (std::is_same_v<Info, abi::ProcessInfoV2>) {
      infos[i].gpu_instance_id = processes[i].gpu_instance_id;
      infos[i].compute_instance_id = processes[i].compute_instance_id;
    }
  }
  *count = static_cast<unsigned int>(processes.size());
  return abi::kSuccess;
}

abi::DeviceState* device_at(unsigned int index) {
  FakeDriver& d = driver();
  return index < kMaxFakeDevices ? &d.devices[index] : nullptr;
}

}  // namespace

// NVML's own names, as the library exports them.
// NOLINTBEGIN(readability-identifier-naming)
extern "C" {

#ifndef FAKE_NVML_WITHOUT_INIT
abi::Return nvmlInit_v2() {
  if (abi::Return rc = enter("nvmlInit_v2", false); rc != abi::kSuccess) return rc;
  ++driver().init_refcount;
  return abi::kSuccess;
}
#endif

abi::Return nvmlShutdown() {
  if (abi::Return rc = enter("nvmlShutdown"); rc != abi::kSuccess) return rc;
  --driver().init_refcount;
  return abi::kSuccess;
}

const char* nvmlErrorString(abi::Return rc) {
  switch (rc) {
    case abi::kSuccess:
      return "Success";
    case abi::kErrorUninitialized:
      return "Uninitialized";
    case abi::kErrorInvalidArgument:
      return "Invalid Argument";
    case abi::kErrorNotSupported:
      return "Not Supported";
    case abi::kErrorNoPermission:
      return "Insufficient Permissions";
    case abi::kErrorNotFound:
      return "Not Found";
    case abi::kErrorInsufficientSize:
      return "Insufficient Size";
    case abi::kErrorDriverNotLoaded:
      return "Driver Not Loaded";
    case abi::kErrorGpuIsLost:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

abi::Return nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  if (abi::Return rc = enter("nvmlSystemGetDriverVersion"); rc != abi::kSuccess) return rc;
  return copy_string("580.159.04", version, length);
}

abi::Return nvmlDeviceGetCount_v2(unsigned int* count) {
  if (abi::Return rc = enter("nvmlDeviceGetCount_v2"); rc != abi::kSuccess) return rc;
  if (count == nullptr) return abi::kErrorInvalidArgument;
  *count = driver().device_count;
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetHandleByIndex_v2(unsigned int index, abi::Device* device) {
  if (abi::Return rc = enter("nvmlDeviceGetHandleByIndex_v2"); rc != abi::kSuccess) return rc;
  if (device == nullptr || index >= driver().device_count) return abi::kErrorInvalidArgument;
  *device = device_at(index);
  return *device == nullptr ? abi::kErrorInvalidArgument : abi::kSuccess;
}

abi::Return nvmlDeviceGetName(abi::Device device, char* name, unsigned int length) {
  if (abi::Return rc = enter("nvmlDeviceGetName"); rc != abi::kSuccess) return rc;
  if (device == nullptr) return abi::kErrorInvalidArgument;
  return copy_string("Fake GPU " + std::to_string(device->index), name, length);
}

abi::Return nvmlDeviceGetUUID(abi::Device device, char* uuid, unsigned int length) {
  if (abi::Return rc = enter("nvmlDeviceGetUUID"); rc != abi::kSuccess) return rc;
  if (device == nullptr) return abi::kErrorInvalidArgument;
  return copy_string("GPU-fake-" + std::to_string(device->index), uuid, length);
}

abi::Return nvmlDeviceGetUtilizationRates(abi::Device device, abi::Utilization* utilization) {
  if (abi::Return rc = enter("nvmlDeviceGetUtilizationRates"); rc != abi::kSuccess) return rc;
  if (device == nullptr || utilization == nullptr) return abi::kErrorInvalidArgument;
  *utilization = device->utilization;
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetMemoryInfo(abi::Device device, abi::Memory* memory) {
  if (abi::Return rc = enter("nvmlDeviceGetMemoryInfo"); rc != abi::kSuccess) return rc;
  if (device == nullptr || memory == nullptr) return abi::kErrorInvalidArgument;
  *memory = device->memory;
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetPowerUsage(abi::Device device, unsigned int* power_mw) {
  if (abi::Return rc = enter("nvmlDeviceGetPowerUsage"); rc != abi::kSuccess) return rc;
  if (device == nullptr || power_mw == nullptr) return abi::kErrorInvalidArgument;
  *power_mw = device->power_mw;
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetEnforcedPowerLimit(abi::Device device, unsigned int* limit_mw) {
  if (abi::Return rc = enter("nvmlDeviceGetEnforcedPowerLimit"); rc != abi::kSuccess) return rc;
  if (device == nullptr || limit_mw == nullptr) return abi::kErrorInvalidArgument;
  *limit_mw = device->power_limit_mw;
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetTemperature(abi::Device device, abi::TemperatureSensor sensor,
                                     unsigned int* celsius) {
  if (abi::Return rc = enter("nvmlDeviceGetTemperature"); rc != abi::kSuccess) return rc;
  if (device == nullptr || celsius == nullptr) return abi::kErrorInvalidArgument;
  if (sensor != abi::kTemperatureGpu) return abi::kErrorNotSupported;
  *celsius = device->temperature_c;
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetClockInfo(abi::Device device, abi::ClockType type, unsigned int* mhz) {
  if (abi::Return rc = enter("nvmlDeviceGetClockInfo"); rc != abi::kSuccess) return rc;
  if (device == nullptr || mhz == nullptr) return abi::kErrorInvalidArgument;
  if (type == abi::kClockSm) {
    *mhz = device->sm_clock_mhz;
  } else if (type == abi::kClockMem) {
    *mhz = device->memory_clock_mhz;
  } else {
    return abi::kErrorNotSupported;
  }
  return abi::kSuccess;
}

#ifndef FAKE_NVML_WITHOUT_OPTIONAL
abi::Return nvmlDeviceGetTotalEnergyConsumption(abi::Device device, unsigned long long* mj) {
  if (abi::Return rc = enter("nvmlDeviceGetTotalEnergyConsumption"); rc != abi::kSuccess) {
    return rc;
  }
  if (device == nullptr || mj == nullptr) return abi::kErrorInvalidArgument;
  *mj = device->energy_mj;
  // FAKE_NVML_LIVE=1 (end-to-end tests, through a child process nothing else can control):
  // the counter runs at the device's power since the library was loaded, as a real one does.
  if (const char* live = std::getenv("FAKE_NVML_LIVE"); live != nullptr && live[0] == '1') {
    static const auto loaded = std::chrono::steady_clock::now();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - loaded).count();
    *mj += static_cast<unsigned long long>(seconds * device->power_mw);
  }
  return abi::kSuccess;
}

abi::Return nvmlDeviceGetPcieThroughput(abi::Device device, abi::PcieCounter counter,
                                        unsigned int* kb_per_s) {
  if (abi::Return rc = enter("nvmlDeviceGetPcieThroughput"); rc != abi::kSuccess) return rc;
  if (device == nullptr || kb_per_s == nullptr) return abi::kErrorInvalidArgument;
  if (counter == abi::kPcieTxBytes) {
    *kb_per_s = device->pcie_tx_kb_per_s;
  } else if (counter == abi::kPcieRxBytes) {
    *kb_per_s = device->pcie_rx_kb_per_s;
  } else {
    return abi::kErrorInvalidArgument;
  }
  return abi::kSuccess;
}

#ifndef FAKE_NVML_V1_PROCESSES_ONLY
abi::Return nvmlDeviceGetComputeRunningProcesses_v3(abi::Device device, unsigned int* count,
                                                    abi::ProcessInfoV2* infos) {
  if (abi::Return rc = enter("nvmlDeviceGetComputeRunningProcesses_v3"); rc != abi::kSuccess) {
    return rc;
  }
  return copy_processes(device, count, infos);
}
#endif

// Exported by every driver beside _v3; a caller that prefers it over _v3 is caught by the
// call counts.
abi::Return nvmlDeviceGetComputeRunningProcesses(abi::Device device, unsigned int* count,
                                                 abi::ProcessInfoV1* infos) {
  if (abi::Return rc = enter("nvmlDeviceGetComputeRunningProcesses"); rc != abi::kSuccess) {
    return rc;
  }
  return copy_processes(device, count, infos);
}
#endif

// The controls.

void fake_nvml_reset() { driver() = FakeDriver{}; }

void fake_nvml_set_device_count(unsigned int count) { driver().device_count = count; }

// `code` is what `function` returns from now on; 0 clears it.
void fake_nvml_fail(const char* function, int code) {
  if (code == abi::kSuccess) {
    driver().failures.erase(function);
  } else {
    driver().failures[function] = code;
  }
}

int fake_nvml_calls(const char* function) {
  const auto& calls = driver().calls;
  auto it = calls.find(function);
  return it == calls.end() ? 0 : it->second;
}

int fake_nvml_init_refcount() { return driver().init_refcount; }

void fake_nvml_set_energy_mj(unsigned int dev, unsigned long long mj) {
  if (auto* device = device_at(dev)) device->energy_mj = mj;
}

void fake_nvml_set_power_mw(unsigned int dev, unsigned int mw) {
  if (auto* device = device_at(dev)) device->power_mw = mw;
}

// `count` processes with pids first_pid, first_pid + 1, …; each uses used_bytes (the
// not-available value ~0ULL is passed through as NVML does).
void fake_nvml_set_processes(unsigned int dev, unsigned int count, unsigned int first_pid,
                             unsigned long long used_bytes) {
  auto* device = device_at(dev);
  if (device == nullptr) return;
  device->processes.clear();
  for (unsigned int i = 0; i < count; ++i) {
    device->processes.push_back({first_pid + i, used_bytes, 0xFFFFFFFFU, 0xFFFFFFFFU});
  }
}

}  // extern "C"
// NOLINTEND(readability-identifier-naming)

// The fake must match the ABI nvml.cc calls through.
#ifndef FAKE_NVML_WITHOUT_INIT
static_assert(std::is_same_v<decltype(&nvmlInit_v2), abi::InitFn>);
#endif
static_assert(std::is_same_v<decltype(&nvmlShutdown), abi::ShutdownFn>);
static_assert(std::is_same_v<decltype(&nvmlErrorString), abi::ErrorStringFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetCount_v2), abi::DeviceGetCountFn>);
static_assert(
    std::is_same_v<decltype(&nvmlDeviceGetHandleByIndex_v2), abi::DeviceGetHandleByIndexFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetName), abi::DeviceGetStringFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetMemoryInfo), abi::DeviceGetMemoryInfoFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetPowerUsage), abi::DeviceGetUintFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetTemperature), abi::DeviceGetTemperatureFn>);
static_assert(std::is_same_v<decltype(&nvmlDeviceGetClockInfo), abi::DeviceGetClockInfoFn>);
