// End-to-end: the real binary, the real runner and transport against `llmbench sim` with a
// scripted timing; figures asserted against the script.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/run_llmbench.h"

namespace llmbench {
namespace {

using nlohmann::json;
using testing::Child;
using testing::ms;
using testing::run;
using testing::RunOutcome;
using testing::Sim;

// Acceptance: the timing reference. Tolerances are on medians, which a busy machine moves far
// less than tails.
TEST(EndToEnd, MeasuresTheSimulatorsScriptedTiming) {
  Sim sim({"--ttft", "50ms", "--itl", "10ms"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "8", "--requests", "200", "--max-tokens", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_NEAR(ms(s["ttft"]["p50"]), 50.0, 1.0);
  EXPECT_NEAR(ms(s["itl"]["p50"]), 10.0, 0.5);
  EXPECT_EQ(s["success_rate"], 1.0);
  ASSERT_EQ(r.result["requests"].size(), 200u);
  for (const json& req : r.result["requests"]) {
    EXPECT_EQ(req["output_tokens"], 64);
    EXPECT_EQ(req["timestamps"]["token_arrivals"].size(), 64u);
  }
  EXPECT_NE(r.out.find("TTFT"), std::string::npos);
}

TEST(EndToEnd, ChatRoleChunkDoesNotCountAsFirstToken) {
  // The sim sends the role-only chunk at once; TTFT must still be the scripted 50 ms.
  Sim sim({"--ttft", "50ms", "--itl", "5ms"});
  const RunOutcome r = run(sim.url(), {"--api", "openai-chat", "--concurrency", "4", "--requests",
                                       "40", "--max-tokens", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Taking TTFT at the role chunk would give ~0 ms; the scripted first token is at 50 ms.
  // (Sub-millisecond accuracy is the job of the test above, with 200 requests.)
  EXPECT_NEAR(ms(r.result["summary"]["ttft"]["p50"]), 50.0, 5.0);
  EXPECT_GT(ms(r.result["summary"]["ttft"]["min"]), 45.0);
  EXPECT_EQ(r.result["requests"][0]["output_tokens"], 8);
}

TEST(EndToEnd, NonStreamingIsOneArrivalOfAllTokens) {
  Sim sim({"--ttft", "20ms", "--itl", "2ms"});
  const RunOutcome r = run(
      sim.url(), {"--no-stream", "--concurrency", "2", "--requests", "10", "--max-tokens", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const json& req : r.result["requests"]) {
    EXPECT_EQ(req["output_tokens"], 16);
    EXPECT_EQ(req["timestamps"]["token_arrivals"].size(), 1u);
    // One arrival is both the first token and the end of the response: the same instant, not
    // "close" (a busy client once put its own parsing delay between them).
    EXPECT_NEAR(req["ttft"].get<double>(), req["e2e_latency"].get<double>(), 1e-6);
  }
  EXPECT_NEAR(ms(r.result["summary"]["e2e_latency"]["p50"]), 20.0 + 15 * 2.0, 5.0);
}

TEST(EndToEnd, FailRateIsCountedAsHttp5xxAndTheRunCompletes) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms", "--fail-rate", "0.2", "--seed", "3"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "8", "--requests", "500", "--max-tokens", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_NEAR(s["success_rate"].get<double>(), 0.8, 0.06);
  ASSERT_EQ(s["errors"].size(), 1u);
  EXPECT_EQ(s["errors"]["http_5xx"], s["failed"]);
  EXPECT_EQ(s["requests"], 500);
}

// Issue 9 A3: a run where 40 % of the requests fail does not "meet" a generous latency
// objective by judging the survivors only.
TEST(EndToEnd, FailedRequestsMissEveryObjective) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms", "--fail-rate", "0.4", "--seed", "3"});
  const RunOutcome r = run(sim.url(), {"--concurrency", "8", "--requests", "200", "--max-tokens",
                                       "4", "--slo", "ttft:p99<=10s,e2e_latency:p50<=10s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  ASSERT_GT(s["failed"].get<int>(), 40) << "the simulator's fail rate";
  ASSERT_EQ(s["slos"].size(), 2u);
  const json& p99 = s["slos"][0];
  EXPECT_FALSE(p99["met"].get<bool>()) << p99.dump();
  EXPECT_TRUE(p99["actual"].is_null()) << "p99 falls on a failed request";
  EXPECT_EQ(p99["failures"], s["failed"]);
  EXPECT_EQ(p99["samples"], 200);
  // The median is still a survivor's (fewer than half failed), and well inside 10 s.
  EXPECT_TRUE(s["slos"][1]["met"].get<bool>()) << s["slos"][1].dump();
  EXPECT_LT(s["slos"][1]["actual"].get<double>(), 1.0);
  EXPECT_EQ(s["good_requests"], s["succeeded"]);
  EXPECT_NE(r.out.find("SLO ttft:p99<=10s: MISSED"), std::string::npos) << r.out;
}

// Issue 9 A1: a non-streamed request shows no decode: TPOT, ITL and the client side of the
// engine's per-token time are absent, not 0.
TEST(EndToEnd, NonStreamedRequestsHaveNoTpotOrItl) {
  Sim sim({"--dialect", "tgi", "--ttft", "20ms", "--itl", "2ms"});
  const RunOutcome r = run(
      sim.url(), {"--no-stream", "--concurrency", "2", "--requests", "10", "--max-tokens", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["tpot"]["count"], 0);
  EXPECT_TRUE(s["tpot"]["p50"].is_null());
  EXPECT_EQ(s["itl"]["count"], 0);
  EXPECT_TRUE(s["itl"]["mean"].is_null());
  EXPECT_EQ(s["e2e_latency"]["count"], 10);
  const json& per_token = s["native_vs_client"]["time_per_output_token"];
  EXPECT_EQ(per_token["native"]["count"], 10) << "the engine's own figure is kept";
  EXPECT_EQ(per_token["client"]["count"], 0) << "and not compared against ≈ 0";
  for (const json& req : r.result["requests"]) {
    EXPECT_TRUE(req["tpot"].is_null());
    EXPECT_TRUE(req["native"]["time_per_output_token"]["delta"].is_null());
  }
  const std::size_t tpot = r.out.find("TPOT");
  ASSERT_NE(tpot, std::string::npos) << r.out;
  const std::string line = r.out.substr(tpot, r.out.find('\n', tpot) - tpot);
  EXPECT_EQ(line.find("0.000"), std::string::npos) << line;
  EXPECT_NE(line.find("—"), std::string::npos) << line;
}

TEST(EndToEnd, UnreachableUrlExitsWithCode3AndOneLine) {
  const RunOutcome r = run("http://127.0.0.1:1", {"--model", "m", "--requests", "1"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("http://127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(EndToEnd, BadOptionIsUsageErrorCode2) {
  const RunOutcome r = run("http://127.0.0.1:1", {"--duration", "ten seconds"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--duration"), std::string::npos) << r.err;
}

struct FaultCase {
  std::string fault;
  std::vector<std::string> extra;
  std::string category;
};

void PrintTo(const FaultCase& c, std::ostream* out) { *out << c.fault << " -> " << c.category; }

class FaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultTest, IsACategorisedOutcomeAndTheRunGoesOn) {
  const FaultCase& c = GetParam();
  Sim sim(
      {"--ttft", "5ms", "--itl", "2ms", "--fault", c.fault, "--fault-rate", "0.5", "--seed", "1"});
  std::vector<std::string> options = {"--concurrency", "4", "--requests", "40",
                                      "--max-tokens",  "10"};
  options.insert(options.end(), c.extra.begin(), c.extra.end());
  const RunOutcome r = run(sim.url(), options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  EXPECT_GT(s["succeeded"].get<int>(), 0);
  ASSERT_TRUE(s["errors"].contains(c.category)) << s["errors"].dump();
  EXPECT_EQ(s["errors"][c.category], s["failed"]) << s["errors"].dump();
  for (const json& req : r.result["requests"]) {
    if (!req["error"].is_null()) {
      EXPECT_FALSE(req["error"]["message"].get<std::string>().empty());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultTest,
    ::testing::Values(FaultCase{"malformed", {}, "protocol"}, FaultCase{"reset", {}, "truncated"},
                      FaultCase{"error-event", {}, "engine_error"},
                      // A stall half-way through 10 tokens comes after the first token: the
                      // idle limit. The first-token limit bounds the calibration probe, whose
                      // single token stalls before it (300 s by default).
                      FaultCase{"stall",
                                {"--idle-timeout", "200ms", "--first-token-timeout", "1s"},
                                "timeout_idle"},
                      FaultCase{"429", {}, "http_429"}, FaultCase{"503", {}, "http_5xx"}),
    [](const ::testing::TestParamInfo<FaultCase>& param_info) {
      std::string name = param_info.param.fault;
      std::replace(name.begin(), name.end(), '-', '_');
      return "fault_" + name;
    });

TEST(EndToEnd, TotalTimeoutIsCategorised) {
  Sim sim({"--ttft", "2s", "--itl", "1ms"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "2", "--requests", "2", "--timeout", "300ms"});
  ASSERT_EQ(r.exit_code, 4) << r.err;  // every request failed
  EXPECT_EQ(r.result["summary"]["errors"]["timeout_total"], 2);
}

TEST(EndToEnd, FirstTokenTimeoutIsCategorised) {
  Sim sim({"--ttft", "2s", "--itl", "1ms"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "2", "--requests", "2", "--first-token-timeout", "300ms"});
  ASSERT_EQ(r.exit_code, 4) << r.err;  // every request failed
  EXPECT_EQ(r.result["summary"]["errors"]["timeout_first_token"], 2);
}

TEST(EndToEnd, DurationLimitStopsStartingRequests) {
  Sim sim({"--ttft", "20ms", "--itl", "5ms"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "4", "--duration", "1s", "--max-tokens", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  // Each request takes 40 ms: about 25 rounds of 4 in one second.
  EXPECT_GT(s["requests"].get<int>(), 40);
  EXPECT_LT(s["requests"].get<int>(), 130);
  EXPECT_LT(s["duration"].get<double>(), 1.5);
  EXPECT_EQ(s["success_rate"], 1.0);
}

TEST(EndToEnd, SimulatorQueuesBeyondMaxBatch) {
  // One slot, two users: requests run one after the other, so the run takes twice as long
  // as with free slots, and each request's TTFT includes the other's generation.
  Sim sim({"--ttft", "30ms", "--itl", "2ms", "--max-batch", "1"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "2", "--requests", "10", "--max-tokens", "11"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double per_request = 0.030 + 10 * 0.002;
  EXPECT_NEAR(r.result["summary"]["duration"].get<double>(), 10 * per_request, 0.1);
  EXPECT_GT(ms(r.result["summary"]["ttft"]["p90"]), 1e3 * per_request);
}

TEST(EndToEnd, JitterSpreadsTheGapsAroundTheirMean) {
  Sim sim({"--ttft", "10ms", "--itl", "10ms", "--jitter", "3ms", "--seed", "5"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "4", "--requests", "20", "--max-tokens", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& itl = r.result["summary"]["itl"];
  // Gaps are uniform on [7, 13] ms: median 10, p90 12.4. Quantiles, unlike the standard
  // deviation, are not thrown off by one late frame on a busy machine.
  EXPECT_NEAR(ms(itl["p50"]), 10.0, 0.75);
  EXPECT_NEAR(ms(itl["p90"]), 12.4, 1.0);  // without jitter it would be ~10.1
  EXPECT_GT(ms(itl["p90"]) - ms(itl["p50"]), 1.5);
}

TEST(EndToEnd, ThousandsOfConcurrentStreamsFromOneSimThread) {
  Sim sim({"--ttft", "200ms", "--itl", "20ms"});
  const RunOutcome r = run(sim.url(), {"--concurrency", "2000", "--requests", "2000",
                                       "--max-tokens", "10", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["summary"]["success_rate"], 1.0) << r.result["summary"]["errors"].dump();
  EXPECT_EQ(r.result["summary"]["requests"], 2000);
}

// A TLS server with a self-signed certificate (openssl s_server): refused by default with a
// message naming the certificate problem, accepted with --insecure.
TEST(EndToEnd, TlsCertificatesAreVerifiedByDefault) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("llmbench_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  Child make_cert({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                   key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"});
  ASSERT_EQ(make_cert.wait(), 0) << make_cert.err();
  const int port = testing::free_port();
  Child server({"/usr/bin/openssl", "s_server", "-accept", std::to_string(port), "-cert", cert,
                "-key", key, "-www"});
  ASSERT_TRUE(server.wait_for_output("ACCEPT")) << server.err();
  const std::string url = "https://127.0.0.1:" + std::to_string(port);

  const RunOutcome refused = run(url, {"--model", "m", "--requests", "1"});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_NE(refused.err.find("certificate"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(url), std::string::npos) << refused.err;

  const RunOutcome accepted =
      run(url, {"--model", "m", "--requests", "1", "--insecure", "--timeout", "2s"});
  // Connected and sent: s_server -www answers with a page, not an engine's response, so the
  // one request fails (exit 4) — what matters is that TLS let it through.
  EXPECT_EQ(accepted.exit_code, 4) << accepted.err;
  EXPECT_EQ(accepted.result["summary"]["requests"], 1);
  std::filesystem::remove_all(dir);
}

// ---- every dialect, end to end: detection, timing against the script, native units ----

struct DialectCase {
  std::string dialect;
  std::string api;                  // "" = the engine's default route
  std::vector<std::string> native;  // native figures the dialect must report
};

void PrintTo(const DialectCase& c, std::ostream* out) { *out << c.dialect << " " << c.api; }

class DialectTest : public ::testing::TestWithParam<DialectCase> {};

TEST_P(DialectTest, DetectedMeasuredAndNativeFiguresInSeconds) {
  const DialectCase& c = GetParam();
  Sim sim({"--dialect", c.dialect, "--ttft", "30ms", "--itl", "5ms"});
  std::vector<std::string> options = {"--concurrency", "4", "--requests", "40",
                                      "--max-tokens",  "21"};
  if (!c.api.empty()) options.insert(options.end(), {"--api", c.api});
  const RunOutcome r = run(sim.url(), options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["context"]["engine"]["engine"], c.dialect) << "auto-detection";
  EXPECT_NE(r.err.find("engine: " + c.dialect), std::string::npos) << r.err;
  const json& s = r.result["summary"];
  EXPECT_EQ(s["success_rate"], 1.0) << s["errors"].dump();
  EXPECT_NEAR(ms(s["ttft"]["p50"]), 30.0, 2.0);
  EXPECT_NEAR(ms(s["itl"]["p50"]), 5.0, 0.5);
  for (const json& req : r.result["requests"]) ASSERT_EQ(req["output_tokens"], 21);
  // The sim reports what its script did: decode = 20 gaps of 5 ms = 0.1 s, prefill = 0.03 s.
  // A unit slip (ns, ms read as s) would be off by 10^3 or more.
  for (const std::string& name : c.native) {
    ASSERT_TRUE(s["native_vs_client"].contains(name)) << s["native_vs_client"].dump();
    const json& n = s["native_vs_client"][name];
    const double expected = name == "eval_duration"          ? 0.100
                            : name == "prompt_eval_duration" ? 0.030
                                                             : 0.130;
    EXPECT_NEAR(n["native"]["p50"].get<double>(), expected, 0.002) << name;
    if (n["client"]["count"].get<int>() > 0) {
      EXPECT_NEAR(n["delta"]["p50"].get<double>(), 0.0, 0.005) << name << ": native vs client";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Dialects, DialectTest,
    ::testing::Values(
        DialectCase{"ollama", "", {"eval_duration", "prompt_eval_duration", "total_duration"}},
        DialectCase{"ollama", "native-chat", {"eval_duration"}},
        DialectCase{"ollama", "openai-chat", {}}, DialectCase{"tgi", "", {}},
        DialectCase{"tgi", "openai-chat", {}},
        DialectCase{"llamacpp", "", {"eval_duration", "prompt_eval_duration"}},
        DialectCase{"llamacpp", "openai-chat", {"eval_duration", "prompt_eval_duration"}},
        DialectCase{"sglang", "", {"total_duration"}},
        DialectCase{"sglang", "openai-completions", {}}, DialectCase{"vllm", "", {}},
        DialectCase{"vllm", "openai-chat", {}}),
    [](const ::testing::TestParamInfo<DialectCase>& param_info) {
      std::string name =
          param_info.param.dialect + "_" +
          (param_info.param.api.empty() ? std::string("default") : param_info.param.api);
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(EndToEnd, MultiTokenChunksAreOneArrivalAndTpotUsesTheEnginesCount) {
  Sim sim({"--dialect", "vllm", "--ttft", "20ms", "--itl", "5ms", "--tokens-per-chunk", "4"});
  const RunOutcome r =
      run(sim.url(), {"--concurrency", "2", "--requests", "10", "--max-tokens", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& s = r.result["summary"];
  for (const json& req : r.result["requests"]) {
    EXPECT_EQ(req["output_tokens"], 20);
    EXPECT_EQ(req["output_tokens_source"], "native");
    EXPECT_EQ(req["timestamps"]["token_arrivals"].size(), 5u);
    EXPECT_FALSE(req["output_length_mismatch"].get<bool>());
  }
  EXPECT_NEAR(ms(s["itl"]["p50"]), 20.0, 1.0);          // one gap per frame of 4 tokens
  EXPECT_NEAR(ms(s["tpot"]["p50"]), 80.0 / 19.0, 0.3);  // decode time over 19, not over 4
  EXPECT_NEAR(ms(s["ttft"]["p50"]), 35.0, 2.0);         // the first frame leaves with its 4th token
  EXPECT_EQ(s["output_length_accuracy"], 1.0);
}

TEST(EndToEnd, SglangNativeCountsTokensPerArrivalExactly) {
  Sim sim({"--dialect", "sglang", "--ttft", "10ms", "--itl", "2ms", "--tokens-per-chunk", "3"});
  const RunOutcome r = run(sim.url(), {"--requests", "3", "--max-tokens", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["requests"][0]["timestamps"]["tokens_per_arrival"], json::parse("[3,3,1]"));
}

TEST(EndToEnd, TgiNonStreamedTimingHeadersAreMilliseconds) {
  Sim sim({"--dialect", "tgi", "--ttft", "30ms", "--itl", "5ms"});
  const RunOutcome r = run(sim.url(), {"--no-stream", "--requests", "5", "--max-tokens", "21"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json& n = r.result["summary"]["native_vs_client"];
  EXPECT_NEAR(n["total_duration"]["native"]["p50"].get<double>(), 0.130, 0.002);
  EXPECT_NEAR(n["inference_time"]["native"]["p50"].get<double>(), 0.130, 0.002);
}

TEST(EndToEnd, OllamaColdStartIsRecognised) {
  Sim sim({"--dialect", "ollama", "--ttft", "10ms", "--itl", "2ms", "--load-time", "1s"});
  // Without calibration probes the run's first request loads the model.
  const RunOutcome r =
      run(sim.url(), {"--requests", "3", "--max-tokens", "5", "--token-counting", "estimate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["summary"]["cold_starts"], 1);
  const json& first = r.result["requests"][0];
  EXPECT_TRUE(first["cold_start"].get<bool>());
  EXPECT_NEAR(first["native"]["load_duration"]["native"].get<double>(), 1.0, 1e-6);
  EXPECT_FALSE(r.result["requests"][1]["cold_start"].get<bool>());
}

TEST(EndToEnd, OllamaCalibrationProbesSayTheyLoadedTheModel) {
  Sim sim({"--dialect", "ollama", "--ttft", "10ms", "--itl", "2ms", "--load-time", "300ms"});
  const RunOutcome r = run(sim.url(), {"--requests", "3", "--max-tokens", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result["workload"]["token_method"], "probe_calibration");
  EXPECT_EQ(r.result["summary"]["cold_starts"], 0);
  EXPECT_NE(r.result["workload"]["warnings"].dump().find("calibration probe loaded the model"),
            std::string::npos);
}

struct EngineErrorCase {
  std::string dialect;
  std::vector<std::string> sim_options;
  std::vector<std::string> run_options;
  std::string category;
  std::string message_part;
};

void PrintTo(const EngineErrorCase& c, std::ostream* out) {
  *out << c.dialect << " " << c.category;
}

class EngineErrorTest : public ::testing::TestWithParam<EngineErrorCase> {};

TEST_P(EngineErrorTest, IsCategorisedWithTheEnginesMessage) {
  const EngineErrorCase& c = GetParam();
  std::vector<std::string> sim_options = {"--dialect", c.dialect, "--ttft", "5ms", "--itl", "1ms"};
  sim_options.insert(sim_options.end(), c.sim_options.begin(), c.sim_options.end());
  Sim sim(sim_options);
  std::vector<std::string> options = {"--requests", "4", "--max-tokens", "6"};
  options.insert(options.end(), c.run_options.begin(), c.run_options.end());
  const RunOutcome r = run(sim.url(), options);
  ASSERT_EQ(r.exit_code, 4) << r.err;  // every request failed: its own exit code
  ASSERT_EQ(r.result["summary"]["errors"][c.category], 4) << r.result["summary"]["errors"].dump();
  const std::string message = r.result["requests"][0]["error"]["message"];
  EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
  if (c.category == "http_429") {
    EXPECT_EQ(r.result["requests"][0]["retry_after"], 1.0);
    EXPECT_NE(message.find("retry after 1 s"), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, EngineErrorTest,
    ::testing::Values(
        EngineErrorCase{
            "vllm", {"--fault", "error-event"}, {}, "engine_error", "simulated engine failure"},
        EngineErrorCase{
            "tgi", {"--fault", "error-event"}, {}, "engine_error", "generation: simulated"},
        EngineErrorCase{
            "ollama", {"--fault", "error-event"}, {}, "engine_error", "simulated engine failure"},
        EngineErrorCase{
            "llamacpp", {"--fault", "error-event"}, {}, "engine_error", "simulated engine failure"},
        EngineErrorCase{
            "sglang", {"--fault", "error-event"}, {}, "engine_error", "simulated engine failure"},
        EngineErrorCase{"tgi", {"--fault", "429"}, {}, "http_429", "too many requests"},
        EngineErrorCase{"llamacpp", {"--fault", "503"}, {}, "http_5xx", "Loading model"}),
    [](const ::testing::TestParamInfo<EngineErrorCase>& param_info) {
      return param_info.param.dialect + "_" + param_info.param.category + "_" +
             std::to_string(param_info.index);
    });

// ---- inspection commands ----

struct CommandOutcome {
  int exit_code;
  std::string out, err;
};

CommandOutcome command(std::vector<std::string> args) {
  args.insert(args.begin(), LLMBENCH_BINARY);
  Child child(args);
  const int code = child.wait();
  return {code, child.out(), child.err()};
}

// Issue 9 A10: a model the engine does not serve is refused before any request is sent
// (before, every request failed with http_4xx and the run exited 0). `request` still sends
// it, so the engine's own error message is shown and categorised.
TEST(EndToEnd, AWrongModelIsRefusedBeforeAnyRequest) {
  for (const auto& [dialect, engine_message] : std::vector<std::pair<std::string, std::string>>{
           {"vllm", "does not exist"}, {"ollama", "not found"}}) {
    SCOPED_TRACE(dialect);
    Sim sim({"--dialect", dialect, "--ttft", "5ms", "--itl", "1ms"});
    const RunOutcome r = run(sim.url(), {"--requests", "4", "--model", "sim"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("model 'sim' is not served by " + sim.url() + "; it serves: llmbench-sim"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(r.result.is_null()) << "no result for a run that never started";
    const CommandOutcome one =
        command({"request", "--url", sim.url(), "--model", "sim", "--format", "json"});
    EXPECT_EQ(one.exit_code, 1) << one.err;
    const json answer = json::parse(one.out, nullptr, false);
    ASSERT_TRUE(answer.is_object()) << one.out;
    EXPECT_EQ(answer["error"]["category"], "http_4xx");
    EXPECT_NE(answer["error"]["message"].get<std::string>().find(engine_message), std::string::npos)
        << answer.dump();
  }
}

TEST(Inspect, RequestShowsEveryNativeAndClientFigure) {
  Sim sim({"--dialect", "llamacpp", "--ttft", "20ms", "--itl", "4ms"});
  const CommandOutcome table = command({"request", "--url", sim.url(), "--max-tokens", "6"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* row : {"ttft", "prompt_eval_duration", "eval_duration delta", "requested"}) {
    EXPECT_NE(table.out.find(row), std::string::npos) << row << "\n" << table.out;
  }
  const CommandOutcome j =
      command({"test-request", "--url", sim.url(), "--max-tokens", "6", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json r = json::parse(j.out);
  EXPECT_EQ(r["output_tokens_engine"], 6);
  EXPECT_EQ(r["output_tokens_client"], 6);
  EXPECT_NEAR(r["native"]["eval_duration"]["native"].get<double>(), 0.020, 1e-6);  // 5 gaps of 4 ms
  EXPECT_NEAR(r["native"]["prompt_eval_duration"]["native"].get<double>(), 0.020, 1e-6);
}

TEST(Inspect, RequestCountsThePromptWithTheEnginesTokenizer) {
  for (const char* dialect : {"vllm", "tgi", "llamacpp", "sglang"}) {
    Sim sim({"--dialect", dialect, "--ttft", "5ms", "--itl", "1ms"});
    const CommandOutcome r =
        command({"request", "--url", sim.url(), "--prompt", "one two three four five",
                 "--max-tokens", "3", "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << dialect << ": " << r.err;
    // The simulator's tokenizer adds a BOS token.
    EXPECT_EQ(json::parse(r.out)["prompt_tokens_tokenizer"], 6) << dialect;
  }
  Sim ollama({"--dialect", "ollama", "--ttft", "5ms", "--itl", "1ms"});
  const CommandOutcome none = command({"request", "--url", ollama.url(), "--max-tokens", "2"});
  EXPECT_NE(none.out.find("engine has no tokenize route"), std::string::npos) << none.out;
}

TEST(Inspect, FailedRequestExitsOne) {
  Sim sim({"--dialect", "vllm", "--fault", "503"});
  const CommandOutcome r = command({"request", "--url", sim.url()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Loading model"), std::string::npos) << r.out;
}

TEST(Inspect, ModelsListAndEnginesInfo) {
  Sim sim({"--dialect", "ollama"});
  const CommandOutcome models = command({"models", "list", "--url", sim.url()});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  EXPECT_NE(models.out.find("llmbench-sim"), std::string::npos);
  EXPECT_NE(models.out.find("Q4_K_M"), std::string::npos);
  const CommandOutcome info = command({"engines", "info", "--url", sim.url(), "--format", "json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(json::parse(info.out)["engine"], "ollama");
}

TEST(Inspect, EnginesHealthChecksAllAndExits3WhenOneIsDown) {
  Sim ollama({"--dialect", "ollama"});
  Sim tgi({"--dialect", "tgi"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_engines_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "engines:\n  - name: o\n    type: ollama\n    base_url: " << ollama.url()
                      << "\n  - name: t\n    type: tgi\n    base_url: " << tgi.url()
                      << "\n  - name: gone\n    type: vllm\n    base_url: http://127.0.0.1:1\n";
  const CommandOutcome all = command({"engines", "health", "--config", path.string()});
  EXPECT_EQ(all.exit_code, 3);
  EXPECT_NE(all.out.find("gone"), std::string::npos);
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 4) << all.out;
  const CommandOutcome one =
      command({"engines", "health", "--config", path.string(), "--engine", "t"});
  EXPECT_EQ(one.exit_code, 0) << one.out;
  const CommandOutcome list = command({"engines", "list", "--config", path.string()});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(path.string() + ":5"), std::string::npos) << list.out;
  std::ofstream(path) << "name: x\ntype: vllm\nbase_url: http://h\ntimeout: never\n";
  const CommandOutcome bad = command({"engines", "list", "--config", path.string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(path.string() + ":4: timeout:"), std::string::npos) << bad.err;
  std::filesystem::remove(path);
}

TEST(Inspect, RunUsesAConfiguredEngine) {
  Sim sim({"--dialect", "llamacpp", "--ttft", "5ms", "--itl", "1ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_run_config_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "name: local-llama\ntype: llamacpp\nbase_url: " << sim.url()
                      << "\nmodel: configured-model\ntimeout: 7s\nheaders:\n  X-Team: perf\n";
  const auto out = std::filesystem::temp_directory_path() /
                   ("llmbench_run_config_" + std::to_string(::getpid()) + ".json");
  const CommandOutcome r =
      command({"run", "--config", path.string(), "--engine", "local-llama", "--requests", "3",
               "--max-tokens", "4", "--output", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json result = json::parse(testing::slurp(out));
  EXPECT_EQ(result["context"]["config"]["engine"], "llamacpp");
  EXPECT_EQ(result["context"]["config"]["model"], "configured-model");
  EXPECT_EQ(result["context"]["config"]["timeouts"]["total"], 7.0);
  EXPECT_EQ(result["summary"]["success_rate"], 1.0);
  const CommandOutcome missing = command({"run", "--config", path.string(), "--engine", "nope"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no engine named 'nope'"), std::string::npos) << missing.err;
  std::filesystem::remove(path);
  std::filesystem::remove(out);
}

TEST(Inspect, MetricsShowAndExportAGivenResult) {
  Sim sim({"--ttft", "5ms", "--itl", "1ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_metrics_" + std::to_string(::getpid()) + ".json");
  const CommandOutcome ran = command({"run", "--url", sim.url(), "--requests", "5", "--max-tokens",
                                      "3", "--output", path.string(), "--quiet"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const CommandOutcome show = command({"metrics", "show", path.string()});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("ttft"), std::string::npos);
  const CommandOutcome csv = command({"metrics", "export", path.string(), "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(csv.out.rfind("metric,stat,value\n", 0), 0u);
  EXPECT_NE(csv.out.find("ttft,p50,"), std::string::npos);
  const CommandOutcome js = command({"metrics", "export", path.string()});
  EXPECT_EQ(json::parse(js.out)["requests"], 5);
  std::filesystem::remove(path);
}

// A non-streamed result has no TPOT or ITL (null): `metrics show` prints "—" for them (it
// crashed on the nulls when they were first written).
TEST(Inspect, MetricsShowANonStreamedResult) {
  Sim sim({"--ttft", "5ms", "--itl", "1ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_metrics_nostream_" + std::to_string(::getpid()) + ".json");
  const CommandOutcome ran = command({"run", "--url", sim.url(), "--requests", "3", "--max-tokens",
                                      "3", "--no-stream", "--output", path.string(), "--quiet"});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const CommandOutcome show = command({"metrics", "show", path.string()});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  const std::size_t tpot = show.out.find("tpot");
  ASSERT_NE(tpot, std::string::npos) << show.out;
  const std::string row = show.out.substr(tpot, show.out.find('\n', tpot) - tpot);
  EXPECT_NE(row.find("—"), std::string::npos) << row;
  std::filesystem::remove(path);
}

TEST(EndToEnd, CtrlCWritesAValidPartialResultAndExits130) {
  Sim sim({"--ttft", "10ms", "--itl", "50ms"});
  const auto path = std::filesystem::temp_directory_path() /
                    ("llmbench_e2e_sigint_" + std::to_string(::getpid()) + ".json");
  Child child({LLMBENCH_BINARY, "run", "--url", sim.url(), "--concurrency", "4", "--requests",
               "1000", "--max-tokens", "20", "--output", path.string(), "--no-progress"});
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // ~2 rounds of 1 s requests
  child.signal(SIGINT);
  ASSERT_EQ(child.wait(), 130) << child.err();
  const json result = json::parse(testing::slurp(path));
  std::filesystem::remove(path);
  EXPECT_TRUE(result["context"]["interrupted"].get<bool>());
  const json& s = result["summary"];
  EXPECT_GE(s["succeeded"].get<int>(), 4);
  // The 4 in-flight requests: cancelled, which is no verdict on the engine (issue 9 A9).
  EXPECT_EQ(s["cancelled"], 4) << s.dump();
  EXPECT_FALSE(s["errors"].contains("cancelled")) << s["errors"].dump();
  EXPECT_EQ(s["failed"], 0);
  EXPECT_EQ(s["success_rate"], 1.0);
  EXPECT_LT(s["requests"].get<int>(), 1000);
  EXPECT_EQ(result["requests"].size(), s["requests"]);
}

TEST(EndToEnd, DemoPrintsASummaryAndWritesResultFiles) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("llmbench_demo_" + std::to_string(::getpid()));
  Child child({LLMBENCH_BINARY, "demo", "--output-dir", dir.string()});
  ASSERT_EQ(child.wait(), 0) << child.err();
  EXPECT_NE(child.out().find("TTFT"), std::string::npos);
  const json result = json::parse(testing::slurp(dir / "result.json"));
  EXPECT_EQ(result["summary"]["success_rate"], 1.0);
  EXPECT_TRUE(std::filesystem::exists(dir / "requests.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "summary.csv"));
  std::filesystem::remove_all(dir);
}

TEST(EndToEnd, HelpShowsExamples) {
  for (const char* command : {"run", "sim", "demo"}) {
    Child child({LLMBENCH_BINARY, command, "--help"});
    EXPECT_EQ(child.wait(), 0);
    EXPECT_NE(child.out().find("Example"), std::string::npos) << command;
  }
}

TEST(EndToEnd, ApiKeyIsNeverWrittenOrPrinted) {
  Sim sim({"--ttft", "1ms", "--itl", "1ms"});
  ::setenv("LLMBENCH_TEST_KEY", "sk-test-secret-123", 1);
  const RunOutcome r = run(
      sim.url(), {"--requests", "3", "--max-tokens", "2", "--api-key-env", "LLMBENCH_TEST_KEY"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.result.dump().find("sk-test-secret"), std::string::npos);
  EXPECT_EQ(r.out.find("sk-test-secret"), std::string::npos);
  EXPECT_EQ(r.err.find("sk-test-secret"), std::string::npos);
}

}  // namespace
}  // namespace llmbench
