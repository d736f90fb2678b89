#include "engine_harness.h"

#include <array>
#include <string>
#include <vector>

#include "engines/response_assembler.h"
#include "fuzz_support.h"

namespace llmbench::fuzz {
namespace {

constexpr std::array<int, 8> kStatuses = {200, 200, 200, 200, 400, 422, 429, 503};
constexpr std::array<const char*, 4> kContentTypes = {"application/json", "text/event-stream",
                                                      "application/x-ndjson", "text/plain"};

std::vector<net::Header> parse_headers(std::string_view block) {
  std::vector<net::Header> headers;
  while (!block.empty()) {
    const std::size_t nl = block.find('\n');
    const std::string_view line = block.substr(0, nl);
    block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  }
  return headers;
}

// What must not depend on where the body was split (arrival times may).
struct Outcome {
  int http_status = 0;
  bool has_error = false;
  ErrorCategory category{};
  std::string message;
  std::int64_t client_tokens = 0;
  std::uint64_t output_chars = 0;
  std::optional<std::int64_t> prompt_tokens, output_tokens, cached_tokens;
  std::string finish_reason;
  bool completed = false;
  std::optional<double> retry_after;
  bool operator==(const Outcome&) const = default;
};

Outcome run(const engines::Engine& engine, const RequestSpec& spec, int status,
            std::span<const net::Header> headers, std::string_view body, std::size_t cut,
            bool closed_early) {
  RequestRecord record;
  auto reader = engine.make_reader(spec, record);
  engines::ResponseAssembler assembler(*reader, record);
  assembler.on_head(status, headers);
  assembler.on_body(body.substr(0, cut), TimePoint(std::chrono::milliseconds(1)));
  assembler.on_body(body.substr(cut), TimePoint(std::chrono::milliseconds(2)));
  net::ExchangeResult result;
  result.sent = true;
  result.head_received = true;
  if (closed_early) {
    result.status = net::ExchangeStatus::kClosedEarly;
    result.message = "response body ended early";
  }
  result.t_end = TimePoint(std::chrono::milliseconds(3));
  assembler.finish(result);

  for (const TokenEvent& e : record.events) {
    LLMBENCH_FUZZ_CHECK(e.arrival >= TimePoint(std::chrono::milliseconds(1)) &&
                            e.arrival <= TimePoint(std::chrono::milliseconds(2)),
                        "a token event arrived outside the feed times");
  }
  // Kept text is valid UTF-8: an invalid byte becomes U+FFFD, three bytes, so each one
  // counted in invalid_utf8_bytes may add two.
  LLMBENCH_FUZZ_CHECK(record.output_chars <= body.size() + 2 * record.invalid_utf8_bytes,
                      "more output text than body bytes");
  LLMBENCH_FUZZ_CHECK(record.ok() || !record.error->message.empty(), "an error without message");
  Outcome o;
  o.http_status = record.http_status;
  o.has_error = record.error.has_value();
  if (record.error) {
    o.category = record.error->category;
    o.message = record.error->message;
  }
  o.client_tokens = record.client_output_tokens();
  o.output_chars = record.output_chars;
  o.prompt_tokens = record.usage.prompt_tokens;
  o.output_tokens = record.usage.output_tokens;
  o.cached_tokens = record.usage.cached_prompt_tokens;
  o.finish_reason = record.finish_reason;
  o.completed = record.completed;
  o.retry_after = record.retry_after;
  return o;
}

}  // namespace

int fuzz_engine(engines::EngineKind kind, const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const unsigned flags = in.byte();
  const std::size_t content_type = in.byte();
  const std::uint16_t split = in.u16();
  const std::uint8_t header_len = in.byte();
  std::vector<net::Header> headers = parse_headers(in.take(header_len));
  if (content_type < kContentTypes.size()) {
    headers.insert(headers.begin(), net::Header{"Content-Type", kContentTypes[content_type]});
  }
  const std::string_view body = in.rest();

  engines::EngineOptions options;
  // The OpenAI adapter as vLLM gets it (continuous usage, min_tokens) on bit 7.
  options.kind = kind == engines::EngineKind::kOpenAi && (flags & 0x80U) != 0
                     ? engines::EngineKind::kVllm
                     : kind;
  options.route = (flags & 1U) != 0 ? engines::RouteFamily::kNative : engines::RouteFamily::kOpenAi;
  const auto engine = engines::make_engine(options);
  RequestSpec spec;
  spec.model = "m";
  spec.api = (flags & 2U) != 0 ? ApiKind::kChat : ApiKind::kCompletions;
  spec.prompt = "a";
  spec.messages = {{"user", "a"}};
  spec.max_tokens = 16;
  spec.stream = (flags & 4U) != 0;
  const int status = kStatuses[(flags >> 3) & 7U];
  const bool closed_early = (flags & 0x40U) != 0;

  const Outcome whole = run(*engine, spec, status, headers, body, body.size(), closed_early);
  const Outcome parts =
      run(*engine, spec, status, headers, body, cut_at(split, body.size()), closed_early);
  LLMBENCH_FUZZ_CHECK(whole == parts, "the record differs when the body is split");
  return 0;
}

}  // namespace llmbench::fuzz
