// The sglang adapter's response reader: see engine_harness.h for the input layout.

#include "engine_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return llmbench::fuzz::fuzz_engine(llmbench::engines::EngineKind::kSglang, data, size);
}
