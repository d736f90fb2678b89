#include "monitor/nvml.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::monitor {
namespace {

::testing::AssertionResult contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << '"' << text << "\" lacks \"" << part << '"';
}

// The controls of one fake library variant, reached through the same loaded instance that
// Nvml::open gets (dlopen of one path gives one object; this handle keeps it loaded, so its
// state lives across the Nvml objects of a test).
class FakeNvml {
 public:
  explicit FakeNvml(const char* path) : handle_(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ == nullptr) {
      const char* why = dlerror();
      ADD_FAILURE() << "dlopen " << path << ": " << (why != nullptr ? why : "?");
      return;
    }
    bind(reset_, "fake_nvml_reset");
    bind(set_device_count_, "fake_nvml_set_device_count");
    bind(fail_, "fake_nvml_fail");
    bind(calls_, "fake_nvml_calls");
    bind(init_refcount_, "fake_nvml_init_refcount");
    bind(set_energy_mj_, "fake_nvml_set_energy_mj");
    bind(set_power_mw_, "fake_nvml_set_power_mw");
    bind(set_processes_, "fake_nvml_set_processes");
    reset_();
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;
  ~FakeNvml() {
    if (handle_ != nullptr) dlclose(handle_);
  }

  void set_device_count(unsigned int count) { set_device_count_(count); }
  void fail(const char* function, int code) { fail_(function, code); }
  int calls(const char* function) { return calls_(function); }
  int init_refcount() { return init_refcount_(); }
  void set_energy_mj(unsigned int dev, unsigned long long mj) { set_energy_mj_(dev, mj); }
  void set_power_mw(unsigned int dev, unsigned int mw) { set_power_mw_(dev, mw); }
  void set_processes(unsigned int dev, unsigned int count, unsigned int first_pid,
                     unsigned long long used_bytes) {
    set_processes_(dev, count, first_pid, used_bytes);
  }

 private:
  template <class Fn>
  void bind(Fn& fn, const char* symbol) {
    fn = reinterpret_cast<Fn>(dlsym(handle_, symbol));
    ASSERT_NE(fn, nullptr) << symbol;
  }

  void* handle_;
  void (*reset_)() = nullptr;
  void (*set_device_count_)(unsigned int) = nullptr;
  void (*fail_)(const char*, int) = nullptr;
  int (*calls_)(const char*) = nullptr;
  int (*init_refcount_)() = nullptr;
  void (*set_energy_mj_)(unsigned int, unsigned long long) = nullptr;
  void (*set_power_mw_)(unsigned int, unsigned int) = nullptr;
  void (*set_processes_)(unsigned int, unsigned int, unsigned int, unsigned long long) = nullptr;
};

bool any_error_contains(const GpuReading& reading, std::string_view text) {
  return std::any_of(reading.errors.begin(), reading.errors.end(),
                     [text](const std::string& e) { return e.find(text) != std::string::npos; });
}

std::unique_ptr<Nvml> open_or_fail(const char* path) {
  auto nvml = Nvml::open(path);
  EXPECT_TRUE(nvml.has_value()) << (nvml ? "" : nvml.error().message);
  return nvml ? std::move(*nvml) : nullptr;
}

TEST(Nvml, ReadsEveryFigureInTheHeadersUnits) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  EXPECT_EQ(nvml->driver_version(), "580.159.04");
  GpuReading r = nvml->read(0);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.index, 0U);
  EXPECT_EQ(r.utilization_gpu, 42.0);
  EXPECT_EQ(r.utilization_memory, 17.0);
  EXPECT_EQ(r.memory_total_bytes, 80.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(r.memory_used_bytes, 1.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(r.power_w, 250.0);              // 250 000 mW
  EXPECT_EQ(r.power_limit_w, 700.0);        // 700 000 mW
  EXPECT_DOUBLE_EQ(*r.energy_j, 1234.567);  // 1 234 567 mJ
  EXPECT_EQ(r.temperature_c, 55.0);
  EXPECT_EQ(r.sm_clock_mhz, 1500.0);
  EXPECT_EQ(r.memory_clock_mhz, 3201.0);
  EXPECT_EQ(r.pcie_tx_bytes_per_s, 1000.0 * 1024);  // KB/s
  EXPECT_EQ(r.pcie_rx_bytes_per_s, 2000.0 * 1024);
  ASSERT_TRUE(r.processes.has_value());
  EXPECT_TRUE(r.processes->empty());
  // The newest process-list entry point is the one used.
  EXPECT_GE(fake.calls("nvmlDeviceGetComputeRunningProcesses_v3"), 1);
  EXPECT_EQ(fake.calls("nvmlDeviceGetComputeRunningProcesses"), 0);
}

TEST(Nvml, ListsDevicesAndShutsDownOnDestruction) {
  FakeNvml fake(FAKE_NVML_PATH);
  fake.set_device_count(3);
  {
    auto nvml = open_or_fail(FAKE_NVML_PATH);
    ASSERT_NE(nvml, nullptr);
    ASSERT_EQ(nvml->devices().size(), 3U);
    for (std::uint32_t i = 0; i < 3; ++i) {
      EXPECT_EQ(nvml->devices()[i].index, i);
      EXPECT_EQ(nvml->devices()[i].name, "Fake GPU " + std::to_string(i));
      EXPECT_EQ(nvml->devices()[i].uuid, "GPU-fake-" + std::to_string(i));
    }
    fake.set_power_mw(2, 123'456);
    EXPECT_DOUBLE_EQ(*nvml->read(2).power_w, 123.456);
    EXPECT_EQ(fake.init_refcount(), 1);
    GpuReading unknown = nvml->read(7);
    EXPECT_FALSE(unknown.power_w.has_value());
    EXPECT_TRUE(any_error_contains(unknown, "index 7"));
  }
  EXPECT_EQ(fake.init_refcount(), 0);
  EXPECT_EQ(fake.calls("nvmlShutdown"), 1);
}

TEST(Nvml, MissingOptionalSymbolsAreNulloptWithAnErrorLine) {
  FakeNvml fake(FAKE_NVML_MINIMAL_PATH);
  auto nvml = open_or_fail(FAKE_NVML_MINIMAL_PATH);
  ASSERT_NE(nvml, nullptr);
  GpuReading r = nvml->read(0);
  EXPECT_FALSE(r.energy_j.has_value());
  EXPECT_FALSE(r.pcie_tx_bytes_per_s.has_value());
  EXPECT_FALSE(r.pcie_rx_bytes_per_s.has_value());
  EXPECT_FALSE(r.processes.has_value());
  EXPECT_TRUE(any_error_contains(r, "nvmlDeviceGetTotalEnergyConsumption missing"));
  EXPECT_TRUE(any_error_contains(r, "nvmlDeviceGetPcieThroughput(TX) missing"));
  EXPECT_TRUE(any_error_contains(r, "nvmlDeviceGetComputeRunningProcesses_v3 missing"));
  EXPECT_EQ(r.errors.size(), 4U);  // energy, PCIe TX and RX, processes
  // The others still read.
  EXPECT_EQ(r.power_w, 250.0);
  EXPECT_EQ(r.utilization_gpu, 42.0);
  EXPECT_EQ(r.temperature_c, 55.0);
}

TEST(Nvml, MissingRequiredSymbolIsAnOpenErrorNamingIt) {
  auto nvml = Nvml::open(FAKE_NVML_NO_INIT_PATH);
  ASSERT_FALSE(nvml.has_value());
  EXPECT_EQ(nvml.error().code, ErrorCode::kUnreachable);
  EXPECT_TRUE(contains(nvml.error().message, "symbol nvmlInit_v2 missing"));
}

TEST(Nvml, AbsentLibraryIsNotFound) {
  auto nvml = Nvml::open("/nonexistent/libnvidia-ml.so.1");
  ASSERT_FALSE(nvml.has_value());
  EXPECT_EQ(nvml.error().code, ErrorCode::kUnreachable);
  EXPECT_TRUE(contains(nvml.error().message, "not found"));
  EXPECT_TRUE(contains(nvml.error().message, "/nonexistent/libnvidia-ml.so.1"));
}

TEST(Nvml, InitFailureNamesTheNvmlError) {
  FakeNvml fake(FAKE_NVML_PATH);
  fake.fail("nvmlInit_v2", 9);
  auto nvml = Nvml::open(FAKE_NVML_PATH);
  ASSERT_FALSE(nvml.has_value());
  EXPECT_TRUE(
      contains(nvml.error().message, "nvmlInit_v2 failed: NVML_ERROR_DRIVER_NOT_LOADED (9)"));
  EXPECT_TRUE(contains(nvml.error().message, "Driver Not Loaded"));  // nvmlErrorString's
  EXPECT_EQ(fake.calls("nvmlShutdown"), 0);  // never initialised, never shut down
}

TEST(Nvml, UnknownErrorCodeIsGivenAsANumber) {
  FakeNvml fake(FAKE_NVML_PATH);
  fake.fail("nvmlDeviceGetCount_v2", 4242);
  auto nvml = Nvml::open(FAKE_NVML_PATH);
  ASSERT_FALSE(nvml.has_value());
  EXPECT_TRUE(contains(nvml.error().message, "nvmlDeviceGetCount_v2 failed: NVML error 4242"));
  EXPECT_EQ(fake.init_refcount(), 0);  // a failed open still shuts NVML down
}

TEST(Nvml, NoDeviceThatCanBeOpened) {
  FakeNvml fake(FAKE_NVML_PATH);
  fake.set_device_count(2);
  fake.fail("nvmlDeviceGetHandleByIndex_v2", 4);
  auto nvml = Nvml::open(FAKE_NVML_PATH);
  ASSERT_FALSE(nvml.has_value());
  EXPECT_TRUE(contains(nvml.error().message, "no GPU could be opened (2 listed)"));
  EXPECT_TRUE(contains(nvml.error().message,
                       "nvmlDeviceGetHandleByIndex_v2(0) failed: NVML_ERROR_NO_PERMISSION"));
}

TEST(Nvml, NoGpu) {
  FakeNvml fake(FAKE_NVML_PATH);
  fake.set_device_count(0);
  auto nvml = Nvml::open(FAKE_NVML_PATH);
  ASSERT_FALSE(nvml.has_value());
  EXPECT_TRUE(contains(nvml.error().message, "no GPU (nvmlDeviceGetCount_v2 gave 0)"));
  EXPECT_EQ(fake.init_refcount(), 0);
}

TEST(Nvml, RefusedFigureIsNulloptOthersFine) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  fake.fail("nvmlDeviceGetPowerUsage", 4);
  fake.fail("nvmlDeviceGetClockInfo", 3);
  GpuReading r = nvml->read(0);
  EXPECT_FALSE(r.power_w.has_value());
  EXPECT_FALSE(r.sm_clock_mhz.has_value());
  EXPECT_FALSE(r.memory_clock_mhz.has_value());
  ASSERT_EQ(r.errors.size(), 3U);
  EXPECT_EQ(r.errors[0],
            "nvmlDeviceGetPowerUsage failed: NVML_ERROR_NO_PERMISSION (4): Insufficient "
            "Permissions");
  EXPECT_TRUE(contains(r.errors[1],
                       "nvmlDeviceGetClockInfo(SM) failed: "
                       "NVML_ERROR_NOT_SUPPORTED (3)"));
  EXPECT_TRUE(contains(r.errors[2], "nvmlDeviceGetClockInfo(MEM) failed"));
  EXPECT_EQ(r.power_limit_w, 700.0);
  EXPECT_TRUE(r.energy_j.has_value());
  EXPECT_EQ(r.temperature_c, 55.0);

  fake.fail("nvmlDeviceGetPowerUsage", 0);  // cleared: the next reading has it again
  EXPECT_EQ(nvml->read(0).power_w, 250.0);
}

TEST(Nvml, ProcessListGrowsWhenNvmlAsksForMoreRoom) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  fake.set_processes(0, 100, 1000, 512ULL << 20);
  GpuReading r = nvml->read(0);
  ASSERT_TRUE(r.processes.has_value()) << ::testing::PrintToString(r.errors);
  ASSERT_EQ(r.processes->size(), 100U);
  EXPECT_EQ(r.processes->front().pid, 1000U);
  EXPECT_EQ(r.processes->back().pid, 1099U);
  EXPECT_EQ(r.processes->back().used_bytes, 512.0 * 1024 * 1024);
  EXPECT_GE(fake.calls("nvmlDeviceGetComputeRunningProcesses_v3"), 2);  // a retry happened
  EXPECT_TRUE(r.errors.empty());
}

TEST(Nvml, ProcessMemoryNotAvailableIsNullopt) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  fake.set_processes(0, 1, 4242, ~0ULL);
  GpuReading r = nvml->read(0);
  ASSERT_TRUE(r.processes.has_value());
  ASSERT_EQ(r.processes->size(), 1U);
  EXPECT_EQ(r.processes->front().pid, 4242U);
  EXPECT_FALSE(r.processes->front().used_bytes.has_value());
}

TEST(Nvml, ProcessListIsBounded) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  fake.set_processes(0, 2000, 1, 1);
  GpuReading r = nvml->read(0);
  EXPECT_FALSE(r.processes.has_value());
  EXPECT_TRUE(any_error_contains(r, "asks room for 2000 processes"));
  EXPECT_TRUE(r.power_w.has_value());
}

TEST(Nvml, ProcessListErrorIsNullopt) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  fake.fail("nvmlDeviceGetComputeRunningProcesses_v3", 4);
  GpuReading r = nvml->read(0);
  EXPECT_FALSE(r.processes.has_value());
  EXPECT_TRUE(any_error_contains(
      r, "nvmlDeviceGetComputeRunningProcesses_v3 failed: NVML_ERROR_NO_PERMISSION"));
}

TEST(Nvml, OlderProcessListUsesTheV1Struct) {
  FakeNvml fake(FAKE_NVML_V1_PROCESSES_PATH);
  auto nvml = open_or_fail(FAKE_NVML_V1_PROCESSES_PATH);
  ASSERT_NE(nvml, nullptr);
  fake.set_processes(0, 40, 7, 3ULL << 30);
  GpuReading r = nvml->read(0);
  ASSERT_TRUE(r.processes.has_value()) << ::testing::PrintToString(r.errors);
  ASSERT_EQ(r.processes->size(), 40U);
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_EQ((*r.processes)[i].pid, 7 + i);
    EXPECT_EQ((*r.processes)[i].used_bytes, 3.0 * 1024 * 1024 * 1024);
  }
  EXPECT_GE(fake.calls("nvmlDeviceGetComputeRunningProcesses"), 2);
}

TEST(Nvml, EnergyAcrossReadingsWithAResetThroughTheCounter) {
  FakeNvml fake(FAKE_NVML_PATH);
  auto nvml = open_or_fail(FAKE_NVML_PATH);
  ASSERT_NE(nvml, nullptr);
  EnergyCounter counter;
  const unsigned long long readings_mj[] = {1'000'000, 1'500'000, 2'000'000, 100'000, 400'000};
  double t = 0;
  for (unsigned long long mj : readings_mj) {
    fake.set_energy_mj(0, mj);
    GpuReading r = nvml->read(0);
    ASSERT_TRUE(r.energy_j.has_value());
    counter.add(t, *r.energy_j);
    t += 1;
  }
  EXPECT_EQ(counter.resets(), 1U);
  // Segments: 1000 → 2000 J (+1000), then 100 → 400 J (+300).
  ASSERT_TRUE(counter.joules().has_value());
  EXPECT_DOUBLE_EQ(*counter.joules(), 1300.0);
}

TEST(EnergyCounter, FewerThanTwoReadingsHaveNoEnergy) {
  EnergyCounter counter;
  EXPECT_FALSE(counter.joules().has_value());
  counter.add(0, 50);
  EXPECT_FALSE(counter.joules().has_value());
  EXPECT_FALSE(counter.joules_between(0, 0).has_value());
  counter.add(1, 60);
  EXPECT_DOUBLE_EQ(*counter.joules(), 10.0);
  EXPECT_EQ(counter.resets(), 0U);
}

TEST(EnergyCounter, JoulesBetweenInterpolatesEachEnd) {
  EnergyCounter counter;
  counter.add(0, 1000);  // 100 W from 0 to 10 s
  counter.add(10, 2000);
  counter.add(20, 2500);  // 50 W from 10 to 20 s
  EXPECT_DOUBLE_EQ(*counter.joules_between(0, 20), 1500.0);
  EXPECT_DOUBLE_EQ(*counter.joules_between(5, 15), 500.0 + 250.0);
  EXPECT_DOUBLE_EQ(*counter.joules_between(10, 10), 0.0);
  EXPECT_DOUBLE_EQ(*counter.joules_between(2.5, 7.5), 500.0);
  // Not covered by the readings, or reversed.
  EXPECT_FALSE(counter.joules_between(-1, 5).has_value());
  EXPECT_FALSE(counter.joules_between(5, 21).has_value());
  EXPECT_FALSE(counter.joules_between(15, 5).has_value());
}

TEST(EnergyCounter, JoulesBetweenAcrossAReset) {
  EnergyCounter counter;
  counter.add(0, 500);
  counter.add(10, 1500);  // +1000
  counter.add(20, 200);   // reset: nothing counted from 10 to 20 s
  counter.add(30, 700);   // +500
  EXPECT_EQ(counter.resets(), 1U);
  EXPECT_DOUBLE_EQ(*counter.joules(), 1500.0);
  EXPECT_DOUBLE_EQ(*counter.joules_between(5, 25), 500.0 + 0.0 + 250.0);
}

TEST(EnergyCounter, OutOfOrderAndNonFiniteReadingsAreIgnored) {
  EnergyCounter counter;
  counter.add(0, 100);
  counter.add(10, 200);
  counter.add(5, 150);  // earlier than the last reading
  counter.add(11, std::numeric_limits<double>::quiet_NaN());
  EXPECT_DOUBLE_EQ(*counter.joules(), 100.0);
  EXPECT_EQ(counter.resets(), 0U);
}

}  // namespace
}  // namespace llmbench::monitor
