#include "report/report.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace llmbench::report {
namespace {

TimePoint ms(int v) { return TimePoint(std::chrono::milliseconds(v)); }

RunReport sample() {
  RunReport report;
  report.context.tool_version = "1.2.3";
  report.context.git_sha = "abc";
  report.context.host = "h";
  report.context.started_at = "2026-01-01T00:00:00Z";
  report.spec.url = "http://x:1";
  report.spec.engine = "openai";
  report.spec.model = "m";
  report.spec.seed = 9;
  report.origin = ms(1000);
  RequestRecord ok;
  ok.id = 0;
  ok.sent = true;
  ok.t_sched = ms(1000);
  ok.t_send = ms(1001);
  ok.events = {{ms(1051), 1}, {ms(1061), 1}};
  ok.t_end = ms(1062);
  ok.usage.prompt_tokens = 5;
  ok.usage.output_tokens = 2;
  ok.finish_reason = "length";
  ok.http_status = 200;
  ok.resends = 1;  // its write failed on a kept-alive connection once
  RequestRecord bad;
  bad.id = 1;
  bad.t_sched = ms(1000);
  bad.t_end = ms(1002);
  bad.error = RequestError{ErrorCategory::kConnect, "connect to x:1: refused, \"quoted\""};
  report.records = {ok, bad};
  for (const auto& r : report.records) report.per_request.push_back(metrics::derive(r));
  report.summary = metrics::summarize(report.records, ms(1000));
  return report;
}

TEST(JsonReport, HasTheDocumentedShape) {
  const auto j = nlohmann::json::parse(to_json(sample()));
  EXPECT_EQ(j["schema_version"], kSchemaVersion);
  EXPECT_EQ(j["context"]["tool_version"], "1.2.3");
  EXPECT_EQ(j["context"]["seed"], 9);
  EXPECT_EQ(j["context"]["config"]["model"], "m");
  for (const char* key : {"ttft", "itl", "tpot", "e2e_latency"}) {
    for (const char* stat :
         {"count", "mean", "std", "min", "p50", "p90", "p95", "p99", "p99.9", "max"}) {
      EXPECT_TRUE(j["summary"][key].contains(stat)) << key << "." << stat;
    }
  }
  EXPECT_DOUBLE_EQ(j["summary"]["ttft"]["p50"].get<double>(), 0.050);
  EXPECT_DOUBLE_EQ(j["summary"]["success_rate"].get<double>(), 0.5);
  EXPECT_EQ(j["summary"]["errors"]["connect"], 1);
  ASSERT_EQ(j["requests"].size(), 2u);
  const auto& r0 = j["requests"][0];
  EXPECT_EQ(r0["id"], 0);
  EXPECT_EQ(r0["prompt_tokens"], 5);
  EXPECT_EQ(r0["output_tokens"], 2);
  EXPECT_EQ(r0["output_tokens_source"], "native");
  EXPECT_DOUBLE_EQ(r0["ttft"].get<double>(), 0.050);
  EXPECT_DOUBLE_EQ(r0["itl"][0].get<double>(), 0.010);
  EXPECT_TRUE(r0["error"].is_null());
  EXPECT_EQ(r0["resends"], 1);
  EXPECT_EQ(j["requests"][1]["resends"], 0);
  EXPECT_EQ(j["summary"]["resends"], 1);
  EXPECT_DOUBLE_EQ(r0["timestamps"]["send"].get<double>(), 0.001);
  EXPECT_EQ(r0["timestamps"]["token_arrivals"].size(), 2u);
  const auto& r1 = j["requests"][1];
  EXPECT_EQ(r1["error"]["category"], "connect");
  EXPECT_TRUE(r1["ttft"].is_null());
  EXPECT_TRUE(r1["timestamps"]["send"].is_null());
}

TEST(JsonReport, TextThatIsNotUtf8NeverStopsTheResultBeingWritten) {
  // Adapters make network text valid where it enters a record; the writers are the last line
  // of defence: a byte that slipped through is replaced, never a type_error.316 that loses
  // the run.
  RunReport report = sample();
  report.records[0].finish_reason = "le\xFFngth";
  report.records[0].invalid_utf8_bytes = 3;
  report.records[1].error->message = "bad \xC3\x28";
  report.warnings = {"engine said \xFE"};
  report.summary = metrics::summarize(report.records, ms(1000));
  std::string text;
  ASSERT_NO_THROW(text = to_json(report));
  const auto j = nlohmann::json::parse(text);  // throws on invalid UTF-8
  EXPECT_EQ(j["requests"][0]["finish_reason"], "le\xEF\xBF\xBDngth");
  EXPECT_EQ(j["requests"][0]["invalid_utf8_bytes"], 3);
  EXPECT_EQ(j["requests"][1]["invalid_utf8_bytes"], 0);
  EXPECT_EQ(j["summary"]["invalid_utf8_bytes"], 3);
  std::string line;
  ASSERT_NO_THROW(line = record_json_line(report.records[1], report.per_request[1], report.origin,
                                          RequestDetail::kFull));
  EXPECT_EQ(nlohmann::json::parse(line)["error"]["message"], "bad \xEF\xBF\xBD(");
  ASSERT_NO_THROW((void)request_json(report.records[0], report.per_request[0], report.origin));
}

TEST(CsvReport, FixedHeaderAndQuotedFields) {
  const RunReport report = sample();
  const std::string csv = requests_csv(report);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "id,level,phase,prompt_tokens,prompt_tokens_target,output_tokens,output_tokens_source,"
            "max_tokens,ttft,e2e_latency,tpot,itl_mean,ttft_sched,e2e_sched,schedule_lag,retries,"
            "finish_reason,http_status,error_category,error_message");
  // The successful request: 1 ms late, so ttft_sched = ttft + 1 ms.
  EXPECT_NE(csv.find("\n0,0,measure,5,0,2,native,0,0.05,0.061,0.011,0.01,0.051,0.062,0.001,0,"
                     "length,200,,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\"connect to x:1: refused, \"\"quoted\"\"\""), std::string::npos);
  const std::string summary = summary_csv(report);
  EXPECT_EQ(summary.substr(0, summary.find('\n')), "metric,stat,value");
  EXPECT_NE(summary.find("ttft,p50,0.05\n"), std::string::npos);
  EXPECT_NE(summary.find("errors,connect,1\n"), std::string::npos);
  EXPECT_NE(summary.find("resends,value,1\n"), std::string::npos);
  EXPECT_EQ(summary.find("prompt_length_mismatch_rate"), std::string::npos)
      << "no row without a checked prompt length";
  RunReport checked = sample();
  checked.summary.prompt_length_mismatch_rate = 0.25;
  checked.summary.prompt_length_offset = 3;
  const std::string with_lengths = summary_csv(checked);
  EXPECT_NE(with_lengths.find("prompt_length_mismatch_rate,value,0.25\n"), std::string::npos);
  EXPECT_NE(with_lengths.find("prompt_length_offset,value,3\n"), std::string::npos);
}

TEST(JsonReport, StreamedRequestsGiveTheSameDocumentAsInMemory) {
  const RunReport in_memory = sample();
  RunReport streamed = sample();
  const auto dir =
      std::filesystem::temp_directory_path() / ("llmbench_stream_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream spill(dir / "spill.jsonl");
    for (std::size_t i = 0; i < streamed.records.size(); ++i) {
      spill << record_json_line(streamed.records[i], streamed.per_request[i], streamed.origin)
            << "\n";
    }
  }
  streamed.records.clear();
  streamed.per_request.clear();
  streamed.requests_jsonl = dir / "spill.jsonl";
  ASSERT_TRUE(write_json(streamed, dir / "out.json"));
  std::ifstream in(dir / "out.json");
  const auto from_file = nlohmann::json::parse(in);
  EXPECT_EQ(from_file, nlohmann::json::parse(to_json(in_memory)));
  EXPECT_EQ(from_file["requests"].size(), 2u);
  // No requests at all is still a valid document.
  std::ofstream(dir / "spill.jsonl", std::ios::trunc).close();
  ASSERT_TRUE(write_json(streamed, dir / "empty.json"));
  std::ifstream empty(dir / "empty.json");
  EXPECT_TRUE(nlohmann::json::parse(empty)["requests"].empty());
  std::filesystem::remove_all(dir);
}

TEST(JsonReport, LevelsSweepAndTimeSeries) {
  RunReport report = sample();
  LevelReport level;
  level.index = 2;
  level.kind = "rate";
  level.offered_rate = 12.5;
  level.summary = report.summary;
  report.levels = {level};
  report.sweep = metrics::SweepAnalysis{12.5, 0, 0};
  const auto j = nlohmann::json::parse(to_json(report));
  EXPECT_EQ(j["levels"][0]["kind"], "rate");
  EXPECT_EQ(j["levels"][0]["offered_rate"], 12.5);
  EXPECT_EQ(j["sweep"]["max_sustainable_rate"], 12.5);
  EXPECT_EQ(j["time_series"]["window"], 1.0);
  ASSERT_FALSE(j["time_series"]["windows"].empty());
  EXPECT_EQ(j["time_series"]["windows"][0]["requests_started"], 1);
  EXPECT_EQ(j["requests"][0]["phase"], "measure");
  EXPECT_NEAR(j["requests"][0]["schedule_lag"].get<double>(), 0.001, 1e-9);
  EXPECT_NEAR(j["summary"]["schedule_lag"]["max"].get<double>(), 0.001, 1e-9);
}

TEST(TerminalReport, ShowsMillisecondsAndErrors) {
  std::ostringstream out;
  print_summary(out, sample());
  EXPECT_NE(out.str().find("50.000"), std::string::npos);
  EXPECT_NE(out.str().find("connect=1"), std::string::npos);
}

// Issue 9 A1: a figure that was not measured is null in JSON and "—" in the table.
TEST(JsonReport, UnmeasuredFiguresAreNullAndPercentilesHaveIntervals) {
  RunReport report = sample();
  RequestRecord whole = report.records[0];
  whole.id = 2;
  whole.stream = false;
  whole.events = {{ms(1061), 2}};
  report.records = {whole};
  report.per_request = {metrics::derive(whole)};
  report.summary = metrics::summarize(report.records, ms(1000));
  const auto j = nlohmann::json::parse(to_json(report));
  const auto& s = j["summary"];
  EXPECT_EQ(s["tpot"]["count"], 0);
  for (const char* stat : {"mean", "std", "min", "p50", "p99", "p99.9", "max", "ci"}) {
    EXPECT_TRUE(s["tpot"][stat].is_null()) << stat;
    EXPECT_TRUE(s["itl"][stat].is_null()) << stat;
  }
  EXPECT_TRUE(j["requests"][0]["tpot"].is_null());
  EXPECT_TRUE(s["completion_rate"].is_null()) << "one completion gives no rate";
  EXPECT_TRUE(s["e2e_latency"]["std"].is_null()) << "one sample has no sample std";
  // A8: every percentile has [low, high]; one sample cannot bound its median.
  ASSERT_TRUE(s["e2e_latency"]["ci"].is_object());
  EXPECT_EQ(s["e2e_latency"]["ci"]["level"], 0.95);
  EXPECT_EQ(s["e2e_latency"]["ci"]["p50"], nlohmann::json::parse("[null, null]"));
  const std::string summary = summary_csv(report);
  EXPECT_NE(summary.find("tpot,count,0\n"), std::string::npos);
  EXPECT_EQ(summary.find("tpot,p50"), std::string::npos) << summary;
  std::ostringstream out;
  print_summary(out, report);
  const std::string text = out.str();
  const std::size_t tpot = text.find("TPOT");
  ASSERT_NE(tpot, std::string::npos);
  const std::string line = text.substr(tpot, text.find('\n', tpot) - tpot);
  EXPECT_EQ(line.find("0.000"), std::string::npos) << line;
  EXPECT_NE(line.find("—"), std::string::npos) << line;
}

TEST(JsonReport, PercentileIntervalsFromOrderStatistics) {
  RunReport report = sample();
  std::vector<RequestRecord> records;
  for (int i = 0; i < 100; ++i) {
    RequestRecord r = report.records[0];
    r.id = static_cast<std::uint64_t>(i);
    r.t_send = ms(1000);
    r.events = {{ms(1001 + i), 1}, {ms(1200), 1}};
    records.push_back(r);
  }
  report.summary = metrics::summarize(records, ms(1000));
  const auto j = nlohmann::json::parse(to_json(report));
  // TTFT 1..100 ms: the median's 95 % interval is X(40)..X(61).
  const auto& p50 = j["summary"]["ttft"]["ci"]["p50"];
  EXPECT_NEAR(p50[0].get<double>(), 0.040, 1e-9);
  EXPECT_NEAR(p50[1].get<double>(), 0.061, 1e-9);
  EXPECT_TRUE(j["summary"]["ttft"]["ci"]["p99"][1].is_null());
  EXPECT_NE(summary_csv(report).find("ttft,p50_ci_low,0.04\n"), std::string::npos);
  // In the table, p99 (1 sample beyond) and p99.9 are marked, p50 and p90 are not.
  std::ostringstream out;
  print_summary(out, report);
  const std::string text = out.str();
  const std::size_t ttft = text.find("TTFT");
  const std::string line = text.substr(ttft, text.find('\n', ttft) - ttft);
  EXPECT_EQ(std::count(line.begin(), line.end(), '*'), 2) << line;  // p99, p99.9
  EXPECT_NE(text.find("* fewer than 10 samples lie beyond"), std::string::npos) << text;
}

// Issue 9 A3, A7, A9 as the reporters show them.
TEST(TerminalReport, CompletionRateCancelledAndFailedObjectives) {
  RunReport report = sample();
  RequestRecord second = report.records[0];
  second.id = 2;
  second.t_end = ms(1562);
  RequestRecord cancelled = report.records[0];
  cancelled.id = 3;
  cancelled.error = RequestError{ErrorCategory::kCancelled, "cancelled"};
  report.records = {report.records[0], report.records[1], second, cancelled};
  report.per_request.clear();
  for (const auto& r : report.records) report.per_request.push_back(metrics::derive(r));
  metrics::AggregatorOptions options;
  options.slos = *metrics::parse_slos("ttft:p99<=10s");
  metrics::Aggregator aggregator(ms(1000), options);
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    aggregator.add(report.records[i], report.per_request[i]);
  }
  report.summary = aggregator.finish();
  std::ostringstream out;
  print_summary(out, report);
  const std::string text = out.str();
  // Two completions 500 ms apart: 2 req/s, beside the diluted run throughput.
  EXPECT_NE(text.find("completion rate 2.00 req/s"), std::string::npos) << text;
  EXPECT_NE(text.find("1 cancelled"), std::string::npos) << text;
  EXPECT_NE(text.find("success rate 66.67%"), std::string::npos) << text;
  EXPECT_EQ(text.find("cancelled="), std::string::npos) << "not among the errors: " << text;
  EXPECT_NE(text.find("SLO ttft:p99<=10s: MISSED (p99 falls on a failed request; 1 of 3"),
            std::string::npos)
      << text;
  const auto j = nlohmann::json::parse(to_json(report));
  EXPECT_EQ(j["summary"]["cancelled"], 1);
  EXPECT_EQ(j["summary"]["failed"], 1);
  EXPECT_FALSE(j["summary"]["errors"].contains("cancelled"));
  EXPECT_TRUE(j["summary"]["slos"][0]["actual"].is_null());
  EXPECT_EQ(j["summary"]["slos"][0]["failures"], 1);
  EXPECT_EQ(j["summary"]["slos"][0]["met"], false);
  EXPECT_NEAR(j["summary"]["completion_rate"].get<double>(), 2.0, 1e-9);
}

TEST(AtomicWrite, ReplacesTheFileAndLeavesNoTemporary) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("llmbench_report_test_" + std::to_string(::getpid()));
  const auto path = dir / "sub" / "r.json";
  ASSERT_TRUE(write_file_atomically(path, "first"));
  ASSERT_TRUE(write_file_atomically(path, "second"));
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "second");
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(path.parent_path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
  auto denied = write_file_atomically("/proc/llmbench/nope.json", "x");
  EXPECT_FALSE(denied);
  std::filesystem::remove_all(dir);
}

// Issue 10 class 2: output paths that are not regular files are written in place, never
// replaced by a renamed temporary.
class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("llmbench_output_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      all.push_back(e.path().filename().string());
    }
    std::sort(all.begin(), all.end());
    return all;
  }
  std::filesystem::path dir_;
};

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_F(OutputFileTest, AFifoStaysAFifoAndReceivesTheBytes) {
  const auto fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto link = dir_ / "link-to-pipe";
  std::filesystem::create_symlink(fifo, link);
  for (const auto& path : {fifo, link}) {
    std::string received;
    std::thread reader([&] { received = read_all(fifo); });
    const std::string content(200'000, 'x');  // more than a pipe holds
    const auto written = write_output(path, content);
    reader.join();
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(received, content);
    EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(fifo)));
    EXPECT_TRUE(std::filesystem::is_symlink(std::filesystem::symlink_status(link)));
  }
  EXPECT_EQ(names(), (std::vector<std::string>{"link-to-pipe", "pipe"}));
}

// A writer's open() of a FIFO blocks until a reader comes, deaf to Ctrl-C: with no reader the
// output is refused after a bounded wait, and a reader that comes late still gets it all.
TEST_F(OutputFileTest, AFifoWithoutAReaderIsRefusedAfterABoundedWait) {
  const auto fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto started = std::chrono::steady_clock::now();
  auto file = OutputFile::open(fifo, std::chrono::milliseconds(200));
  ASSERT_FALSE(file);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(200));
  EXPECT_NE(file.error().message.find("no process opened the FIFO for reading within 0.2 s"),
            std::string::npos)
      << file.error().message;
  EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(fifo)));

  std::string received;
  std::thread late_reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    received = read_all(fifo);
  });
  auto opened = OutputFile::open(fifo, std::chrono::seconds(20));
  ASSERT_TRUE(opened) << opened.error().message;
  const std::string content(200'000, 'y');  // more than a pipe holds: writes block again
  (*opened)->stream() << content;
  EXPECT_TRUE((*opened)->commit());
  opened->reset();
  late_reader.join();
  EXPECT_EQ(received, content);
}

// On a private node like /dev/null (the machine's own is shared with whatever else runs).
TEST_F(OutputFileTest, ANullDeviceAndALinkToItStayACharacterDevice) {
  const auto node = dir_ / "null";
  if (::mknod(node.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot make a device node here: " << std::strerror(errno);
  }
  const auto link = dir_ / "link";
  std::filesystem::create_symlink(node, link);
  ASSERT_TRUE(write_output(node, "result"));
  ASSERT_TRUE(write_output(link, "result"));
  EXPECT_TRUE(std::filesystem::is_character_file(std::filesystem::symlink_status(node)));
  EXPECT_TRUE(std::filesystem::is_symlink(std::filesystem::symlink_status(link)));
  auto target = check_output(link);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->mode, OutputMode::kStream);
  EXPECT_TRUE(target->character_device);
  EXPECT_EQ(names(), (std::vector<std::string>{"link", "null"}));
}

TEST_F(OutputFileTest, AFullDeviceIsAnErrorNamingTheReason) {
  const auto written = write_output("/dev/full", std::string(100'000, 'x'));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "cannot write /dev/full: No space left on device");
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
}

TEST_F(OutputFileTest, StdoutNamesAreTheDescriptorNotANewFile) {
  for (const char* name : {"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"}) {
    auto target = check_output(name);
    ASSERT_TRUE(target) << name;
    EXPECT_EQ(target->mode, OutputMode::kDescriptor) << name;
    EXPECT_EQ(target->identity, "fd:1") << name;
  }
  EXPECT_EQ(file_identity("/dev/stdout"), "fd:1");
}

TEST_F(OutputFileTest, ASymlinkToARegularFileStaysALinkAndItsTargetIsReplaced) {
  const auto file = dir_ / "real.json";
  const auto link = dir_ / "link.json";
  std::ofstream(file) << "old";
  ::chmod(file.c_str(), 0640);
  std::filesystem::create_symlink(file, link);
  ASSERT_TRUE(write_output(link, "new"));
  EXPECT_TRUE(std::filesystem::is_symlink(std::filesystem::symlink_status(link)));
  EXPECT_EQ(read_all(file), "new");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // the replaced file keeps its mode
  EXPECT_EQ(names(), (std::vector<std::string>{"link.json", "real.json"}));
}

TEST_F(OutputFileTest, TemporaryNamesNeverOverwriteAnExistingFile) {
  const auto path = dir_ / "r.json";
  // Whatever name a temporary might take, a file there is left alone.
  const std::string pid = std::to_string(::getpid());
  std::vector<std::filesystem::path> planted{dir_ / ("r.json.tmp." + pid)};
  for (int n = 0; n < 64; ++n)
    planted.push_back(dir_ / ("r.json.tmp." + pid + "-" + std::to_string(n)));
  for (const auto& p : planted) std::ofstream(p) << "keep";
  ASSERT_TRUE(write_output(path, "result"));
  EXPECT_EQ(read_all(path), "result");
  for (const auto& p : planted) EXPECT_EQ(read_all(p), "keep") << p;
}

TEST_F(OutputFileTest, PathsThatCannotBeWrittenAreFoundBeforeWriting) {
  std::ofstream(dir_ / "file") << "x";
  struct Case {
    std::filesystem::path path;
    std::string message;
  };
  const std::vector<Case> cases = {
      {dir_, "cannot write " + dir_.string() + ": it is a directory"},
      {dir_ / "missing" / "r.json", "cannot write " + (dir_ / "missing" / "r.json").string() +
                                        ": folder " + (dir_ / "missing").string() +
                                        ": No such file or directory"},
      {dir_ / "file" / "r.json",
       "cannot write " + (dir_ / "file" / "r.json").string() + ": Not a directory"},
      {"/proc/llmbench.json", "cannot write /proc/llmbench.json: cannot create a file in /proc: "},
  };
  for (const Case& c : cases) {
    auto target = check_output(c.path);
    ASSERT_FALSE(target) << c.path;
    EXPECT_EQ(target.error().message.substr(0, c.message.size()), c.message);
    EXPECT_EQ(target.error().message.find("Success"), std::string::npos);
  }
  EXPECT_EQ(names(), (std::vector<std::string>{"file"}));  // the probes left nothing
  auto fine = check_output(dir_ / "new.json");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->mode, OutputMode::kReplace);
}

TEST_F(OutputFileTest, OnePathSpelledThreeWaysHasOneIdentity) {
  const auto file = dir_ / "a.json";
  std::ofstream(file) << "x";
  std::filesystem::create_symlink(file, dir_ / "link.json");
  const std::string id = file_identity(file);
  EXPECT_EQ(file_identity(dir_ / "." / "a.json"), id);
  EXPECT_EQ(file_identity(dir_ / "link.json"), id);
  EXPECT_EQ(check_output(dir_ / "link.json")->identity, id);
  // New paths: by their canonical form.
  EXPECT_EQ(file_identity(dir_ / "sub" / ".." / "b.json"), file_identity(dir_ / "b.json"));
  EXPECT_NE(file_identity(dir_ / "b.json"), file_identity(dir_ / "c.json"));
}

TEST_F(OutputFileTest, AnUncommittedOutputLeavesTheTargetAndNoTemporary) {
  const auto path = dir_ / "r.json";
  std::ofstream(path) << "old";
  {
    auto file = OutputFile::open(path);
    ASSERT_TRUE(file);
    (*file)->stream() << "half";
  }
  EXPECT_EQ(read_all(path), "old");
  EXPECT_EQ(names(), (std::vector<std::string>{"r.json"}));
}

}  // namespace
}  // namespace llmbench::report
