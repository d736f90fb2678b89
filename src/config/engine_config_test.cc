#include "config/engine_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>

namespace llmbench::config {
namespace {

class EngineConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("llmbench_config_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::string error_of(const std::string& text) {
    auto loaded = load_engine_file(write("bad.yaml", text));
    EXPECT_FALSE(loaded);
    return loaded ? "" : loaded.error().message;
  }
};

TEST_F(EngineConfigTest, ShippedConfigsLoad) {
  auto loaded =
      load_engine_configs(std::filesystem::path(LLMBENCH_TEST_DATA) / "../../configs/engines");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 4u);
  std::set<std::string> types;
  for (const auto& c : *loaded) types.insert(c.type);
  EXPECT_EQ(types, (std::set<std::string>{"ollama", "vllm", "tgi", "llamacpp"}));
}

TEST_F(EngineConfigTest, ReadsEveryField) {
  auto loaded = load_engine_file(write("e.yaml",
                                       "name: a\ntype: vllm\nbase_url: http://h:8000\nmodel: m\n"
                                       "timeout: 30s\nretries: 2\nheaders:\n  X-A: b\nauth:\n"
                                       "  api_key_env: KEY_VAR\n"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  const EngineConfig& c = loaded->at(0);
  EXPECT_EQ(c.name, "a");
  EXPECT_EQ(c.model, "m");
  EXPECT_EQ(c.timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.retries, 2);
  EXPECT_EQ(c.headers.at("X-A"), "b");
  EXPECT_EQ(c.api_key_env, "KEY_VAR");
  EXPECT_FALSE(c.gpu_hourly_cost);
  auto priced = load_engine_file(write("p.yaml",
                                       "name: a\ntype: vllm\nbase_url: http://h:8000\n"
                                       "gpu_hourly_cost: 2.5\ngpus: 4\n"));
  ASSERT_TRUE(priced) << priced.error().message;
  EXPECT_DOUBLE_EQ(priced->at(0).gpu_hourly_cost.value_or(0), 2.5);
  EXPECT_EQ(priced->at(0).gpus.value_or(0), 4);
  const std::string negative =
      error_of("name: a\ntype: vllm\nbase_url: http://h\ngpu_hourly_cost: -1\n");
  EXPECT_NE(negative.find("bad.yaml:4: gpu_hourly_cost: must be a number"), std::string::npos)
      << negative;
  const std::string none = error_of("name: a\ntype: vllm\nbase_url: http://h\ngpus: 0\n");
  EXPECT_NE(none.find("bad.yaml:4: gpus: must be a whole number"), std::string::npos) << none;
}

TEST_F(EngineConfigTest, ErrorsNameFileLineAndField) {
  const std::string e1 = error_of("name: a\ntype: vllm\nbase_url: http://h\ntimeout: soon\n");
  EXPECT_NE(e1.find("bad.yaml:4: timeout:"), std::string::npos) << e1;
  const std::string e2 = error_of("name: a\ntype: mistral\nbase_url: http://h\n");
  EXPECT_NE(e2.find("bad.yaml:2: type: 'mistral'"), std::string::npos) << e2;
  const std::string e3 = error_of("name: a\ntype: tgi\n");
  EXPECT_NE(e3.find("base_url: is required"), std::string::npos) << e3;
  const std::string e4 =
      error_of("engines:\n  - name: a\n    type: tgi\n    base_url: localhost:80\n");
  EXPECT_NE(e4.find("bad.yaml:4: base_url:"), std::string::npos) << e4;
  // A base_url that may hold credentials is never repeated in the error.
  const std::string e7 = error_of("name: a\ntype: tgi\nbase_url: user:s3cret@h:80\n");
  EXPECT_NE(e7.find("base_url: must start with http:// or https://"), std::string::npos) << e7;
  EXPECT_EQ(e7.find("s3cret"), std::string::npos) << e7;
  const std::string e5 = error_of("name: a\ntype: tgi\nbase_url: http://h\nmodle: x\n");
  EXPECT_NE(e5.find("bad.yaml:4: modle: unknown field"), std::string::npos) << e5;
  const std::string e6 = error_of("name: a\ntype: tgi\nbase_url: http://h\n  bad: [\n");
  EXPECT_NE(e6.find("not valid YAML"), std::string::npos) << e6;
}

// YAML allows a mapping or a list as a key (`? [a, b]`); as a field name it is refused at its
// line, at the top level, in `engines[]`, in headers and in auth.
TEST_F(EngineConfigTest, FieldNamesThatAreNotSingleValuesAreRefused) {
  const std::string top = error_of("? [a, b]\n: 1\nname: a\n");
  EXPECT_NE(top.find("bad.yaml:1: (engine): a field name must be a single value"),
            std::string::npos)
      << top;
  const std::string listed = error_of("engines:\n  - name: a\n    ? {k: v}\n    : 1\n");
  EXPECT_NE(listed.find("bad.yaml:3: engines[0]: a field name must be a single value"),
            std::string::npos)
      << listed;
  const std::string header =
      error_of("name: a\ntype: tgi\nbase_url: http://h\nheaders:\n  ? [X-A]\n  : b\n");
  EXPECT_NE(header.find("bad.yaml:5: headers: a field name must be a single value"),
            std::string::npos)
      << header;
  const std::string auth =
      error_of("name: a\ntype: tgi\nbase_url: http://h\nauth:\n  ? [k]\n  : V\n");
  EXPECT_NE(auth.find("bad.yaml:5: auth: a field name must be a single value"), std::string::npos)
      << auth;
}

TEST_F(EngineConfigTest, LiteralSecretsAreRefused) {
  const std::string e = error_of("name: a\ntype: openai\nbase_url: https://h\napi_key: sk-123\n");
  EXPECT_NE(e.find("bad.yaml:4: api_key:"), std::string::npos) << e;
  EXPECT_NE(e.find("api_key_env"), std::string::npos);
  EXPECT_EQ(e.find("sk-123"), std::string::npos) << "the secret must not be echoed";
  const std::string h =
      error_of("name: a\ntype: openai\nbase_url: https://h\nheaders:\n  Authorization: Bearer x\n");
  EXPECT_NE(h.find("bad.yaml:5: headers.Authorization"), std::string::npos) << h;
}

TEST_F(EngineConfigTest, HeadersWithControlCharactersAreRefusedWithoutEcho) {
  // CR/LF in a value would forge a header (request splitting); the value is never repeated.
  const std::string base = "name: a\ntype: vllm\nbase_url: http://h\nheaders:\n";
  const std::string e1 = error_of(base + "  X-Api-Key: \"sk-PLANTED\\r\\nX-Evil: 1\"\n");
  EXPECT_NE(e1.find("bad.yaml:5: headers.X-Api-Key: the value contains a control character "
                    "(byte 0x0D at position 10)"),
            std::string::npos)
      << e1;
  EXPECT_EQ(e1.find("PLANTED"), std::string::npos) << e1;
  for (const char* value : {"\"a\\nb\"", "\"a\\0b\"", "\"a\\x7fb\"", "\"a\\x1bb\""}) {
    const std::string e = error_of(base + "  Cookie: " + value + "\n");
    EXPECT_NE(e.find("headers.Cookie: the value contains a control character"), std::string::npos)
        << e;
  }
  const std::string e2 = error_of(base + "  \"X-A\\r\\nX-B\": v\n");
  EXPECT_NE(e2.find("headers: a header name contains a control character"), std::string::npos)
      << e2;
  const std::string e3 = error_of(base + "  \"X A\": v\n");
  EXPECT_NE(e3.find("headers.X A: is not an HTTP header name"), std::string::npos) << e3;
  // A tab is allowed in a field value.
  auto loaded = load_engine_file(write("ok.yaml", base + "  X-A: \"a\\tb\"\n"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->at(0).headers.at("X-A"), "a\tb");
}

TEST_F(EngineConfigTest, CredentialsTooShortToRedactAreRefused) {
  const std::string base = "name: a\ntype: vllm\nbase_url: http://h\nheaders:\n";
  const std::string e = error_of(base + "  X-Api-Key: abc\n");
  EXPECT_NE(e.find("headers.X-Api-Key: the value is shorter than 4 bytes"), std::string::npos) << e;
  // Any spelling of Authorization is refused: the key goes in auth.api_key_env.
  const std::string e2 = error_of(base + "  AUTHORIZATION: Bearer sk-1234\n");
  EXPECT_NE(e2.find("use auth.api_key_env"), std::string::npos) << e2;
  EXPECT_EQ(e2.find("sk-1234"), std::string::npos) << e2;
  // A short value of a header that is no credential is fine.
  EXPECT_TRUE(load_engine_file(write("ok.yaml", base + "  X-Debug: 1\n")));
}

TEST_F(EngineConfigTest, DuplicateNamesAcrossFiles) {
  write("1.yaml", "name: a\ntype: tgi\nbase_url: http://h\n");
  write("2.yml", "name: a\ntype: vllm\nbase_url: http://h\n");
  auto loaded = load_engine_configs(dir_);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("already defined at"), std::string::npos);
}

}  // namespace
}  // namespace llmbench::config
