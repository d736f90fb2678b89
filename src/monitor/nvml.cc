#include "monitor/nvml.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string_view>
#include <utility>

#include "monitor/nvml_abi.h"

namespace llmbench::monitor {

namespace abi = nvml_abi;

namespace {

// Devices beyond this are not listed: a count past it is a broken library, not a machine.
constexpr unsigned int kMaxDevices = 1024;
// The process list grows to at most this many entries; NVML asking for more is refused.
constexpr unsigned int kMaxProcesses = 1024;
constexpr unsigned int kInitialProcessCapacity = 32;
// Room added to NVML's count on a retry, for processes started between the two calls.
constexpr unsigned int kProcessHeadroom = 8;
constexpr int kProcessListAttempts = 4;

std::string_view return_name(abi::Return rc) {
  switch (rc) {
    case 0:
      return "NVML_SUCCESS";
    case 1:
      return "NVML_ERROR_UNINITIALIZED";
    case 2:
      return "NVML_ERROR_INVALID_ARGUMENT";
    case 3:
      return "NVML_ERROR_NOT_SUPPORTED";
    case 4:
      return "NVML_ERROR_NO_PERMISSION";
    case 5:
      return "NVML_ERROR_ALREADY_INITIALIZED";
    case 6:
      return "NVML_ERROR_NOT_FOUND";
    case 7:
      return "NVML_ERROR_INSUFFICIENT_SIZE";
    case 8:
      return "NVML_ERROR_INSUFFICIENT_POWER";
    case 9:
      return "NVML_ERROR_DRIVER_NOT_LOADED";
    case 10:
      return "NVML_ERROR_TIMEOUT";
    case 11:
      return "NVML_ERROR_IRQ_ISSUE";
    case 12:
      return "NVML_ERROR_LIBRARY_NOT_FOUND";
    case 13:
      return "NVML_ERROR_FUNCTION_NOT_FOUND";
    case 14:
      return "NVML_ERROR_CORRUPTED_INFOROM";
    case 15:
      return "NVML_ERROR_GPU_IS_LOST";
    case 16:
      return "NVML_ERROR_RESET_REQUIRED";
    case 17:
      return "NVML_ERROR_OPERATING_SYSTEM";
    case 18:
      return "NVML_ERROR_LIB_RM_VERSION_MISMATCH";
    case 19:
      return "NVML_ERROR_IN_USE";
    case 20:
      return "NVML_ERROR_MEMORY";
    case 21:
      return "NVML_ERROR_NO_DATA";
    case 22:
      return "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED";
    case 23:
      return "NVML_ERROR_INSUFFICIENT_RESOURCES";
    case 24:
      return "NVML_ERROR_FREQ_NOT_SUPPORTED";
    case 25:
      return "NVML_ERROR_ARGUMENT_VERSION_MISMATCH";
    case 26:
      return "NVML_ERROR_DEPRECATED";
    case 27:
      return "NVML_ERROR_NOT_READY";
    case 28:
      return "NVML_ERROR_GPU_NOT_FOUND";
    case 29:
      return "NVML_ERROR_INVALID_STATE";
    case 999:
      return "NVML_ERROR_UNKNOWN";
    default:
      return {};
  }
}

// A string NVML wrote into a fixed buffer, cut at the first NUL (or at the buffer's end when
// the library forgot it).
template <std::size_t N>
std::string from_buffer(const char (&buffer)[N]) {
  const char* end = std::find(std::begin(buffer), std::end(buffer), '\0');
  return {std::begin(buffer), end};
}

// The resolved entry points. Required ones are never null after open(); an optional one is
// null when the library lacks it.
struct Api {
  abi::InitFn init = nullptr;
  abi::ShutdownFn shutdown = nullptr;
  abi::DeviceGetCountFn get_count = nullptr;
  abi::DeviceGetHandleByIndexFn get_handle = nullptr;

  abi::ErrorStringFn error_string = nullptr;
  abi::SystemGetDriverVersionFn get_driver_version = nullptr;
  abi::DeviceGetStringFn get_name = nullptr;
  abi::DeviceGetStringFn get_uuid = nullptr;
  abi::DeviceGetUtilizationRatesFn get_utilization = nullptr;
  abi::DeviceGetMemoryInfoFn get_memory = nullptr;
  abi::DeviceGetUintFn get_power = nullptr;
  abi::DeviceGetUintFn get_power_limit = nullptr;
  abi::DeviceGetTotalEnergyConsumptionFn get_energy = nullptr;
  abi::DeviceGetTemperatureFn get_temperature = nullptr;
  abi::DeviceGetClockInfoFn get_clock = nullptr;
  abi::DeviceGetPcieThroughputFn get_pcie = nullptr;
  // The process list: the first of _v3, _v2 (both take nvmlProcessInfo_v2_t) and the
  // unversioned call (nvmlProcessInfo_v1_t) that the library has.
  abi::DeviceGetProcessesV2Fn get_processes_v2 = nullptr;
  abi::DeviceGetProcessesV1Fn get_processes_v1 = nullptr;
  const char* processes_symbol = "nvmlDeviceGetComputeRunningProcesses_v3";
};

template <class Fn>
Fn resolve(void* library, const char* symbol) {
  // dlsym returns an object pointer for a function; POSIX guarantees the conversion.
  return reinterpret_cast<Fn>(dlsym(library, symbol));
}

}  // namespace

struct Nvml::Impl {
  void* library = nullptr;
  std::string library_name;
  Api api;
  bool initialized = false;
  struct Entry {
    GpuDevice device;
    abi::Device handle = nullptr;
  };
  std::vector<Entry> entries;
  std::vector<GpuDevice> devices;
  std::string driver_version;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (initialized) api.shutdown();
    if (library != nullptr) dlclose(library);
  }

  // "<call> failed: NVML_ERROR_NO_PERMISSION (4): Insufficient Permissions"
  [[nodiscard]] std::string describe(std::string_view call, abi::Return rc) const {
    std::string text = fmt::format("{} failed: ", call);
    std::string_view name = return_name(rc);
    if (name.empty()) {
      text += fmt::format("NVML error {}", rc);
    } else {
      text += fmt::format("{} ({})", name, rc);
    }
    if (api.error_string != nullptr) {
      const char* words = api.error_string(rc);
      if (words != nullptr && *words != '\0') text += fmt::format(": {}", words);
    }
    return text;
  }

  [[nodiscard]] std::string missing(std::string_view symbol) const {
    return fmt::format("{} missing from {} (older driver)", symbol, library_name);
  }

  void read_processes(abi::Device handle, GpuReading& reading) const;
  template <class Info, class Fn>
  std::optional<std::vector<GpuProcessMemory>> list_processes(
      Fn fn, abi::Device handle, const char* call, std::vector<std::string>& errors) const;
};

// One call of a process-list entry point, growing the buffer while NVML says it is too small.
template <class Info, class Fn>
std::optional<std::vector<GpuProcessMemory>> Nvml::Impl::list_processes(
    Fn fn, abi::Device handle, const char* call, std::vector<std::string>& errors) const {
  unsigned int capacity = kInitialProcessCapacity;
  for (int attempt = 0; attempt < kProcessListAttempts; ++attempt) {
    std::vector<Info> infos(capacity);
    unsigned int count = capacity;
    abi::Return rc = fn(handle, &count, infos.data());
    if (rc == abi::kSuccess) {
      std::vector<GpuProcessMemory> processes;
      processes.reserve(std::min(count, capacity));
      for (unsigned int i = 0; i < std::min(count, capacity); ++i) {
        GpuProcessMemory process;
        process.pid = infos[i].pid;
        if (infos[i].used_gpu_memory != abi::kValueNotAvailable) {
          process.used_bytes = static_cast<double>(infos[i].used_gpu_memory);
        }
        processes.push_back(process);
      }
      return processes;
    }
    if (rc != abi::kErrorInsufficientSize) {
      errors.push_back(describe(call, rc));
      return std::nullopt;
    }
    if (count > kMaxProcesses) {
      errors.push_back(fmt::format("{} asks room for {} processes; at most {} are read", call,
                                   count, kMaxProcesses));
      return std::nullopt;
    }
    // NVML wrote the count it needs; a process may start before the next call, hence room.
    capacity = std::min(std::max(count, capacity) + kProcessHeadroom, kMaxProcesses);
  }
  errors.push_back(fmt::format("{} kept answering NVML_ERROR_INSUFFICIENT_SIZE ({} attempts)", call,
                               kProcessListAttempts));
  return std::nullopt;
}

void Nvml::Impl::read_processes(abi::Device handle, GpuReading& reading) const {
  if (api.get_processes_v2 != nullptr) {
    reading.processes = list_processes<abi::ProcessInfoV2>(api.get_processes_v2, handle,
                                                           api.processes_symbol, reading.errors);
  } else if (api.get_processes_v1 != nullptr) {
    reading.processes = list_processes<abi::ProcessInfoV1>(api.get_processes_v1, handle,
                                                           api.processes_symbol, reading.errors);
  } else {
    reading.errors.push_back(missing("nvmlDeviceGetComputeRunningProcesses_v3"));
  }
}

Nvml::Nvml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Nvml::~Nvml() = default;

Expected<std::unique_ptr<Nvml>> Nvml::open(const std::string& library) {
  auto impl = std::make_unique<Impl>();
  impl->library_name = library;
  dlerror();  // clear a stale message
  impl->library = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (impl->library == nullptr) {
    const char* why = dlerror();
    std::string detail = why != nullptr ? why : "dlopen failed";
    // dlerror's text already names the file; "not found" is what a user needs to read.
    if (detail.find("No such file") != std::string::npos) {
      return make_error(ErrorCode::kUnreachable,
                        fmt::format("{} not found (no NVIDIA driver)", library));
    }
    return make_error(ErrorCode::kUnreachable,
                      fmt::format("{} could not be loaded: {}", library, detail));
  }
  void* lib = impl->library;
  Api& api = impl->api;
  api.init = resolve<abi::InitFn>(lib, "nvmlInit_v2");
  api.shutdown = resolve<abi::ShutdownFn>(lib, "nvmlShutdown");
  api.get_count = resolve<abi::DeviceGetCountFn>(lib, "nvmlDeviceGetCount_v2");
  api.get_handle = resolve<abi::DeviceGetHandleByIndexFn>(lib, "nvmlDeviceGetHandleByIndex_v2");
  std::vector<std::string_view> absent;
  if (api.init == nullptr) absent.emplace_back("nvmlInit_v2");
  if (api.shutdown == nullptr) absent.emplace_back("nvmlShutdown");
  if (api.get_count == nullptr) absent.emplace_back("nvmlDeviceGetCount_v2");
  if (api.get_handle == nullptr) absent.emplace_back("nvmlDeviceGetHandleByIndex_v2");
  if (!absent.empty()) {
    return make_error(ErrorCode::kUnreachable,
                      fmt::format("symbol{} {} missing from {}", absent.size() > 1 ? "s" : "",
                                  fmt::join(absent, ", "), library));
  }
  api.error_string = resolve<abi::ErrorStringFn>(lib, "nvmlErrorString");
  api.get_driver_version =
      resolve<abi::SystemGetDriverVersionFn>(lib, "nvmlSystemGetDriverVersion");
  api.get_name = resolve<abi::DeviceGetStringFn>(lib, "nvmlDeviceGetName");
  api.get_uuid = resolve<abi::DeviceGetStringFn>(lib, "nvmlDeviceGetUUID");
  api.get_utilization =
      resolve<abi::DeviceGetUtilizationRatesFn>(lib, "nvmlDeviceGetUtilizationRates");
  api.get_memory = resolve<abi::DeviceGetMemoryInfoFn>(lib, "nvmlDeviceGetMemoryInfo");
  api.get_power = resolve<abi::DeviceGetUintFn>(lib, "nvmlDeviceGetPowerUsage");
  api.get_power_limit = resolve<abi::DeviceGetUintFn>(lib, "nvmlDeviceGetEnforcedPowerLimit");
  api.get_energy =
      resolve<abi::DeviceGetTotalEnergyConsumptionFn>(lib, "nvmlDeviceGetTotalEnergyConsumption");
  api.get_temperature = resolve<abi::DeviceGetTemperatureFn>(lib, "nvmlDeviceGetTemperature");
  api.get_clock = resolve<abi::DeviceGetClockInfoFn>(lib, "nvmlDeviceGetClockInfo");
  api.get_pcie = resolve<abi::DeviceGetPcieThroughputFn>(lib, "nvmlDeviceGetPcieThroughput");
  for (const char* symbol :
       {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"}) {
    api.get_processes_v2 = resolve<abi::DeviceGetProcessesV2Fn>(lib, symbol);
    if (api.get_processes_v2 != nullptr) {
      api.processes_symbol = symbol;
      break;
    }
  }
  if (api.get_processes_v2 == nullptr) {
    api.processes_symbol = "nvmlDeviceGetComputeRunningProcesses";
    api.get_processes_v1 = resolve<abi::DeviceGetProcessesV1Fn>(lib, api.processes_symbol);
  }

  if (abi::Return rc = api.init(); rc != abi::kSuccess) {
    return make_error(ErrorCode::kUnreachable, impl->describe("nvmlInit_v2", rc));
  }
  impl->initialized = true;

  if (api.get_driver_version != nullptr) {
    char version[abi::kDriverVersionBufferSize] = {};
    if (api.get_driver_version(version, sizeof version) == abi::kSuccess) {
      impl->driver_version = from_buffer(version);
    }
  }

  unsigned int count = 0;
  if (abi::Return rc = api.get_count(&count); rc != abi::kSuccess) {
    return make_error(ErrorCode::kUnreachable, impl->describe("nvmlDeviceGetCount_v2", rc));
  }
  if (count == 0) {
    return make_error(ErrorCode::kUnreachable, "no GPU (nvmlDeviceGetCount_v2 gave 0)");
  }
  std::string first_failure;
  for (unsigned int index = 0; index < std::min(count, kMaxDevices); ++index) {
    Impl::Entry entry;
    entry.device.index = index;
    if (abi::Return rc = api.get_handle(index, &entry.handle); rc != abi::kSuccess) {
      // A device this process may not open (another container's, a lost one) is left out;
      // the others are still monitored.
      if (first_failure.empty()) {
        first_failure = impl->describe(fmt::format("nvmlDeviceGetHandleByIndex_v2({})", index), rc);
      }
      continue;
    }
    if (api.get_name != nullptr) {
      char name[abi::kDeviceNameBufferSize] = {};
      if (api.get_name(entry.handle, name, sizeof name) == abi::kSuccess) {
        entry.device.name = from_buffer(name);
      }
    }
    if (api.get_uuid != nullptr) {
      char uuid[abi::kDeviceUuidBufferSize] = {};
      if (api.get_uuid(entry.handle, uuid, sizeof uuid) == abi::kSuccess) {
        entry.device.uuid = from_buffer(uuid);
      }
    }
    impl->devices.push_back(entry.device);
    impl->entries.push_back(std::move(entry));
  }
  if (impl->entries.empty()) {
    return make_error(ErrorCode::kUnreachable,
                      fmt::format("no GPU could be opened ({} listed): {}", count, first_failure));
  }
  return std::unique_ptr<Nvml>(new Nvml(std::move(impl)));
}

const std::vector<GpuDevice>& Nvml::devices() const { return impl_->devices; }

std::string Nvml::driver_version() const { return impl_->driver_version; }

GpuReading Nvml::read(std::uint32_t index) {
  GpuReading reading;
  reading.index = index;
  const Impl& impl = *impl_;
  auto entry = std::find_if(impl.entries.begin(), impl.entries.end(),
                            [index](const Impl::Entry& e) { return e.device.index == index; });
  if (entry == impl.entries.end()) {
    reading.errors.push_back(fmt::format("no GPU with index {} was opened", index));
    return reading;
  }
  abi::Device handle = entry->handle;
  const Api& api = impl.api;
  auto& errors = reading.errors;

  // Each figure: the call's value converted to the header's unit, or nullopt and one line.
  auto read_uint = [&](auto fn, const char* call, auto&&... args) -> std::optional<double> {
    if (fn == nullptr) {
      errors.push_back(impl.missing(call));
      return std::nullopt;
    }
    unsigned int value = 0;
    if (abi::Return rc = fn(handle, args..., &value); rc != abi::kSuccess) {
      errors.push_back(impl.describe(call, rc));
      return std::nullopt;
    }
    return static_cast<double>(value);
  };
  auto scaled = [](std::optional<double> value, double factor) {
    return value ? std::optional<double>(*value * factor) : std::nullopt;
  };

  if (api.get_utilization == nullptr) {
    errors.push_back(impl.missing("nvmlDeviceGetUtilizationRates"));
  } else {
    abi::Utilization utilization{};
    if (abi::Return rc = api.get_utilization(handle, &utilization); rc != abi::kSuccess) {
      errors.push_back(impl.describe("nvmlDeviceGetUtilizationRates", rc));
    } else {
      reading.utilization_gpu = utilization.gpu;
      reading.utilization_memory = utilization.memory;
    }
  }
  if (api.get_memory == nullptr) {
    errors.push_back(impl.missing("nvmlDeviceGetMemoryInfo"));
  } else {
    abi::Memory memory{};
    if (abi::Return rc = api.get_memory(handle, &memory); rc != abi::kSuccess) {
      errors.push_back(impl.describe("nvmlDeviceGetMemoryInfo", rc));
    } else {
      reading.memory_used_bytes = static_cast<double>(memory.used);
      reading.memory_total_bytes = static_cast<double>(memory.total);
    }
  }
  reading.power_w = scaled(read_uint(api.get_power, "nvmlDeviceGetPowerUsage"), 1e-3);
  reading.power_limit_w =
      scaled(read_uint(api.get_power_limit, "nvmlDeviceGetEnforcedPowerLimit"), 1e-3);
  if (api.get_energy == nullptr) {
    errors.push_back(impl.missing("nvmlDeviceGetTotalEnergyConsumption"));
  } else {
    unsigned long long millijoules = 0;
    if (abi::Return rc = api.get_energy(handle, &millijoules); rc != abi::kSuccess) {
      errors.push_back(impl.describe("nvmlDeviceGetTotalEnergyConsumption", rc));
    } else {
      reading.energy_j = static_cast<double>(millijoules) * 1e-3;
    }
  }
  reading.temperature_c =
      read_uint(api.get_temperature, "nvmlDeviceGetTemperature", abi::kTemperatureGpu);
  reading.sm_clock_mhz = read_uint(api.get_clock, "nvmlDeviceGetClockInfo(SM)", abi::kClockSm);
  reading.memory_clock_mhz =
      read_uint(api.get_clock, "nvmlDeviceGetClockInfo(MEM)", abi::kClockMem);
  reading.pcie_tx_bytes_per_s =
      scaled(read_uint(api.get_pcie, "nvmlDeviceGetPcieThroughput(TX)", abi::kPcieTxBytes), 1024.0);
  reading.pcie_rx_bytes_per_s =
      scaled(read_uint(api.get_pcie, "nvmlDeviceGetPcieThroughput(RX)", abi::kPcieRxBytes), 1024.0);
  impl.read_processes(handle, reading);
  return reading;
}

// Energy counter.

void EnergyCounter::add(double t, double counter_j) {
  // A reading out of order or not a number would break the interpolation's search; drop it.
  if (!std::isfinite(t) || !std::isfinite(counter_j)) return;
  if (!points_.empty() && t < points_.back().t) return;
  if (points_.empty()) {
    offset_ = -counter_j;
  } else if (counter_j < last_counter_) {
    // A new segment: no increase across the boundary (what happened between the last reading
    // and the reset is unknown), increases from here on count again.
    ++resets_;
    offset_ = points_.back().cumulative_j - counter_j;
  }
  last_counter_ = counter_j;
  points_.push_back({t, counter_j + offset_});
}

std::optional<double> EnergyCounter::joules() const {
  if (points_.size() < 2) return std::nullopt;
  return points_.back().cumulative_j - points_.front().cumulative_j;
}

std::optional<double> EnergyCounter::joules_between(double t0, double t1) const {
  if (points_.size() < 2 || !(t0 <= t1) || t0 < points_.front().t || t1 > points_.back().t) {
    return std::nullopt;
  }
  auto cumulative_at = [this](double t) {
    auto after = std::lower_bound(points_.begin(), points_.end(), t,
                                  [](const Point& p, double value) { return p.t < value; });
    // t lies within [front.t, back.t], so `after` exists; `after` at the front means t is
    // the first reading's time.
    if (after->t == t || after == points_.begin()) return after->cumulative_j;
    auto before = std::prev(after);
    double fraction = (t - before->t) / (after->t - before->t);
    return before->cumulative_j + fraction * (after->cumulative_j - before->cumulative_j);
  };
  return cumulative_at(t1) - cumulative_at(t0);
}

}  // namespace llmbench::monitor
