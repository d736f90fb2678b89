#pragma once
// The part of NVML's C ABI that llmbench calls, declared here rather than taken from the
// driver's nvml.h so the build needs no CUDA toolkit. Values and layouts are NVML's (API
// version 12, stable since the _v2 entry points); nvml.cc resolves the functions with dlsym
// and monitor/testing/fake_nvml.cc implements them for the tests. Internal to monitor/.

#include <cstddef>

namespace llmbench::monitor::nvml_abi {

// nvmlReturn_t: a C enum, passed as a 32-bit int.
using Return = int;
inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorUninitialized = 1;
inline constexpr Return kErrorInvalidArgument = 2;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorNotFound = 6;
inline constexpr Return kErrorInsufficientSize = 7;
inline constexpr Return kErrorDriverNotLoaded = 9;
inline constexpr Return kErrorGpuIsLost = 15;
inline constexpr Return kErrorUnknown = 999;

// nvmlTemperatureSensors_t, nvmlClockType_t, nvmlPcieUtilCounter_t: C enums, 32-bit.
using TemperatureSensor = unsigned int;
inline constexpr TemperatureSensor kTemperatureGpu = 0;
using ClockType = unsigned int;
inline constexpr ClockType kClockSm = 1;
inline constexpr ClockType kClockMem = 2;
using PcieCounter = unsigned int;
inline constexpr PcieCounter kPcieTxBytes = 0;  // KB/s
inline constexpr PcieCounter kPcieRxBytes = 1;

// Buffer sizes NVML documents as always large enough (the _V2 sizes for name and UUID).
inline constexpr unsigned int kDriverVersionBufferSize = 80;
inline constexpr unsigned int kDeviceNameBufferSize = 96;
inline constexpr unsigned int kDeviceUuidBufferSize = 96;

// nvmlDevice_t: an opaque handle. Only the fake defines the struct.
struct DeviceState;
using Device = DeviceState*;

// nvmlUtilization_t
struct Utilization {
  unsigned int gpu;     // %
  unsigned int memory;  // %
};
static_assert(sizeof(Utilization) == 8);

// nvmlMemory_t (bytes)
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
static_assert(sizeof(Memory) == 24);

// nvmlProcessInfo_v1_t: the element of the unversioned nvmlDeviceGetComputeRunningProcesses.
struct ProcessInfoV1 {
  unsigned int pid;
  unsigned long long used_gpu_memory;  // bytes; kValueNotAvailable when unknown
};
static_assert(sizeof(ProcessInfoV1) == 16 && offsetof(ProcessInfoV1, used_gpu_memory) == 8);

// nvmlProcessInfo_v2_t (also named nvmlProcessInfo_t): the element of both
// nvmlDeviceGetComputeRunningProcesses_v2 and _v3.
struct ProcessInfoV2 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;      // 0xFFFFFFFF without MIG
  unsigned int compute_instance_id;  // 0xFFFFFFFF without MIG
};
static_assert(sizeof(ProcessInfoV2) == 24 && offsetof(ProcessInfoV2, used_gpu_memory) == 8);

// NVML_VALUE_NOT_AVAILABLE is (-1), read as an unsigned long long.
inline constexpr unsigned long long kValueNotAvailable = ~0ULL;

// The functions, as pointer types for dlsym's results.
using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using SystemGetDriverVersionFn = Return (*)(char* version, unsigned int length);
using DeviceGetCountFn = Return (*)(unsigned int* count);
using DeviceGetHandleByIndexFn = Return (*)(unsigned int index, Device* device);
using DeviceGetStringFn = Return (*)(Device device, char* text, unsigned int length);
using DeviceGetUtilizationRatesFn = Return (*)(Device device, Utilization* utilization);
using DeviceGetMemoryInfoFn = Return (*)(Device device, Memory* memory);
using DeviceGetUintFn = Return (*)(Device device, unsigned int* value);  // power, limit
using DeviceGetTotalEnergyConsumptionFn = Return (*)(Device device, unsigned long long* mj);
using DeviceGetTemperatureFn = Return (*)(Device device, TemperatureSensor sensor,
                                          unsigned int* celsius);
using DeviceGetClockInfoFn = Return (*)(Device device, ClockType type, unsigned int* mhz);
using DeviceGetPcieThroughputFn = Return (*)(Device device, PcieCounter counter,
                                             unsigned int* kb_per_s);
using DeviceGetProcessesV2Fn = Return (*)(Device device, unsigned int* count,
                                          ProcessInfoV2* infos);  // _v3 and _v2
using DeviceGetProcessesV1Fn = Return (*)(Device device, unsigned int* count,
                                          ProcessInfoV1* infos);  // unversioned

}  // namespace llmbench::monitor::nvml_abi
