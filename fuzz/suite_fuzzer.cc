// config::load_suite: any bytes as a scenario suite YAML file are loaded or refused with an
// error naming the file; never an exception or a crash.

#include "config/scenario.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto path = llmbench::fuzz::write_scratch("suite.yaml", text);
  const auto suite = llmbench::config::load_suite(path);
  if (!suite) {
    LLMBENCH_FUZZ_CHECK(suite.error().message.find("suite.yaml") != std::string::npos,
                        "a suite error that does not name the file");
  }
  return 0;
}
