// config::load_engine_file / load_engine_configs: any bytes as an engine YAML file are loaded
// or refused with an error naming the file; never an exception or a crash.

#include "config/engine_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto path = llmbench::fuzz::write_scratch("engines.yaml", text);
  const auto one = llmbench::config::load_engine_file(path);
  if (!one) {
    LLMBENCH_FUZZ_CHECK(one.error().message.find("engines.yaml") != std::string::npos,
                        "an engine config error that does not name the file");
  }
  const auto all = llmbench::config::load_engine_configs(path);
  LLMBENCH_FUZZ_CHECK(one.has_value() == all.has_value() || !all.has_value(),
                      "a file loads alone but not as a set");
  return 0;
}
