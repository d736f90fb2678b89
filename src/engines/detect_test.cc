#include "engines/detect.h"

#include <gtest/gtest.h>

#include "../../tests/support/fixtures.h"

namespace llmbench::engines {
namespace {

std::vector<ProbeAnswer> answers(std::initializer_list<std::pair<std::string, std::string>> ok) {
  std::vector<ProbeAnswer> all;
  for (const std::string& path : detection_probes()) all.push_back({path, 404, "not found"});
  for (const auto& [path, body] : ok) {
    for (ProbeAnswer& a : all) {
      if (a.path == path) {
        a.status = 200;
        a.body = body;
      }
    }
  }
  return all;
}

std::string fixture(const char* path) { return llmbench::testing::read_test_file(path); }

TEST(Detect, Ollama) {
  const auto info =
      identify(answers({{"/api/version", R"({"version":"0.12.3"})"},
                        {"/api/tags", R"({"models":[{"name":"llama3.2:3b","size":2019393189,
                                        "details":{"parameter_size":"3.2B","quantization_level":"Q4_K_M"}}]})"},
                        {"/v1/models", R"({"data":[{"id":"llama3.2:3b"}]})"}}));
  EXPECT_EQ(info.engine, "ollama");
  EXPECT_EQ(info.version, "0.12.3");
  ASSERT_EQ(info.models.size(), 1u);
  EXPECT_EQ(info.models[0].quantization, "Q4_K_M");
  EXPECT_EQ(info.models[0].size_bytes, 2019393189);
}

TEST(Detect, Tgi) {
  const auto info = identify(answers({{"/info", fixture("fixtures/tgi/info_response.json")}}));
  EXPECT_EQ(info.engine, "tgi");
  ASSERT_EQ(info.models.size(), 1u);
  EXPECT_FALSE(info.models[0].id.empty());
  EXPECT_EQ(info.models[0].context_length, 4096);  // max_total_tokens
}

TEST(Detect, LlamaCppFromCapturedBytes) {
  const auto info =
      identify(answers({{"/props", fixture("fixtures/llamacpp-captured/props.json")},
                        {"/v1/models", fixture("fixtures/llamacpp-captured/v1_models.json")}}));
  EXPECT_EQ(info.engine, "llamacpp");
  ASSERT_FALSE(info.models.empty());
  EXPECT_EQ(info.models[0].context_length, 1024);  // the running n_ctx, not n_ctx_train 4096
}

TEST(Detect, Sglang) {
  const auto info =
      identify(answers({{"/get_model_info", fixture("fixtures/sglang/model_info_response.json")},
                        {"/v1/models", R"({"data":[{"id":"x"}]})"}}));
  EXPECT_EQ(info.engine, "sglang");
  EXPECT_FALSE(info.models.at(0).id.empty());
}

TEST(Detect, Vllm) {
  const auto info =
      identify(answers({{"/version", R"({"version":"0.11.0"})"},
                        {"/v1/models", fixture("fixtures/vllm/models_response.json")}}));
  EXPECT_EQ(info.engine, "vllm");
  EXPECT_EQ(info.version, "0.11.0");
  ASSERT_FALSE(info.models.empty());
  EXPECT_EQ(info.models[0].context_length, 8192);  // max_model_len
}

TEST(Detect, GenericOpenAiWhenNothingSpecificAnswers) {
  const auto info =
      identify(answers({{"/v1/models", R"({"object":"list","data":[{"id":"gpt-x"}]})"}}));
  EXPECT_EQ(info.engine, "openai");
  EXPECT_EQ(info.models.at(0).id, "gpt-x");
}

}  // namespace
}  // namespace llmbench::engines
