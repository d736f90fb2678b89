#include "app/workload_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "app/outcome.h"
#include "engines/registry.h"
#include "net/control_client.h"
#include "net/http_client.h"
#include "runner/runner.h"
#include "workload/dataset.h"
#include "workload/lengths.h"
#include "workload/tokenizer.h"

namespace llmbench::app {

namespace {

// One /tokenize answer (a prompt of up to the context window) on a loaded engine.
constexpr Duration kTokenizeTimeout = std::chrono::seconds(30);

// Prompts verified before the run when the run's length is not known in advance.
constexpr std::uint64_t kVerifyUnknown = 1000;
constexpr std::uint64_t kVerifyMost = 100'000;

// A signal during the preparation ends it: nothing of the run was sent, so there is no
// partial result to write.
[[noreturn]] void interrupted(std::string_view doing) {
  throw Failure{kExitInterrupted,
                "interrupted while " + std::string(doing) + ": no request of the run was sent"};
}

// The engine's own /tokenize, every count over one kept-alive connection.
class EngineTokenCounter final : public workload::TokenCounter {
 public:
  EngineTokenCounter(engines::EngineKind kind, const net::Url& url, std::string model,
                     net::TlsOptions tls, CancellationToken& cancel)
      : kind_(kind),
        base_path_(url.base_path),
        model_(std::move(model)),
        client_(url, tls),
        registration_(cancel.on_cancel([this] { client_.cancel(); })) {}
  Expected<std::int64_t> count(std::string_view text) override {
    auto request = engines::tokenize_request(kind_, base_path_, text, model_);
    if (!request) return make_error(ErrorCode::kProtocol, "engine has no tokenize route");
    auto answer = client_.request(*request, kTokenizeTimeout);
    if (!answer && client_.cancelled()) interrupted("counting prompt tokens");
    if (!answer) return tl::unexpected(answer.error());
    return engines::parse_token_count(answer->status, answer->body);
  }

 private:
  engines::EngineKind kind_;
  std::string base_path_;
  std::string model_;
  net::ControlClient client_;
  CancellationToken::Registration registration_;  // after client_: gone before it
};

// A local tokenizer file, counting what the engine's post-processor adds (BOS).
class LocalTokenCounter final : public workload::TokenCounter {
 public:
  explicit LocalTokenCounter(const workload::Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  Expected<std::int64_t> count(std::string_view text) override {
    return static_cast<std::int64_t>(tokenizer_.encode(text).size()) +
           tokenizer_.special_tokens_added();
  }

 private:
  const workload::Tokenizer& tokenizer_;
};

class FixedRequest final : public workload::Workload {
 public:
  explicit FixedRequest(RequestSpec spec) : spec_(std::move(spec)) {}
  [[nodiscard]] RequestSpec make(std::uint64_t) const override { return spec_; }

 private:
  RequestSpec spec_;
};

// `n` of `words` in a fresh random order, so no prompt cache can shorten a count.
std::string probe_text(std::int64_t n, const std::vector<std::string>& words) {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
  std::string text;
  for (std::int64_t w = 0; w < n; ++w) {
    if (w > 0) text += ' ';
    text += words[pick(rng)];
  }
  return text;
}

// The engine's own prompt count for `messages` (joined, for completions) in a generation
// request of one token (chat template and BOS included), or an error when it reported none.
Expected<std::int64_t> generation_prompt_count(const ResolvedRun& run,
                                               const engines::Engine& engine, const net::Url& url,
                                               ApiKind api,
                                               const std::vector<ChatMessage>& messages,
                                               CancellationToken& cancel,
                                               std::vector<std::string>& warnings) {
  RequestSpec spec;
  spec.model = run.spec.model;
  spec.api = api;
  spec.max_tokens = 1;
  spec.stream = false;
  spec.ignore_eos = false;
  if (api == ApiKind::kChat) {
    spec.messages = messages;
  } else {
    spec.prompt = workload::joined_contents(messages);
  }
  runner::RunOptions options;
  options.url = url;
  options.requests = 1;
  options.timeouts = run.spec.timeouts;
  options.tls.verify = run.spec.tls_verify;
  FixedRequest workload(spec);
  runner::MemorySink sink;
  SteadyClockSource clock;
  runner::Runner runner(options, engine, workload, sink, clock);
  Expected<runner::RunTimes> ran;
  {
    const auto registration = cancel.on_cancel([&runner] { runner.cancel(); });
    ran = runner.run();
  }
  if (cancel.cancelled()) interrupted("probing the engine's prompt token count");
  if (!ran) return tl::unexpected(ran.error());
  const auto records = sink.take();
  if (records.empty() || !records[0].ok() || !records[0].usage.prompt_tokens) {
    return make_error(ErrorCode::kProtocol,
                      "calibration probe got no prompt token count" +
                          (records.empty() || records[0].ok() ? std::string()
                                                              : ": " + records[0].error->message));
  }
  if (records[0].cold_start) {
    warnings.push_back(
        "a calibration probe loaded the model (a cold start before the run): no request of the "
        "run includes the load; --token-counting estimate leaves it to the first one");
  }
  return *records[0].usage.prompt_tokens;
}

// Ollama reports prompt_eval_count but has no tokenize route: two 1-token generations with
// prompts of n1 and n2 vocabulary words give the engine's constant and tokens per word.
Expected<workload::PromptCalibration> probe(const ResolvedRun& run, const engines::Engine& engine,
                                            const net::Url& url, ApiKind api,
                                            CancellationToken& cancel,
                                            std::vector<std::string>& warnings) {
  const std::array<std::int64_t, 2> words{16, 96};
  std::array<std::int64_t, 2> counted{};
  for (std::size_t i = 0; i < words.size(); ++i) {
    auto n = generation_prompt_count(
        run, engine, url, api,
        {{"user", probe_text(words[i], workload::estimated_calibration().words)}}, cancel,
        warnings);
    if (!n) return tl::unexpected(n.error());
    counted[i] = *n;
  }
  return workload::probe_calibration(words[0], counted[0], words[1], counted[1],
                                     std::string(engine.name()) + " prompt_eval_count probes");
}

// A counter plus the tokens a generation request adds beyond it (a chat template, a BOS the
// tokenize route leaves out).
class ShiftedCounter final : public workload::TokenCounter {
 public:
  ShiftedCounter(std::unique_ptr<workload::TokenCounter> inner, std::int64_t shift)
      : inner_(std::move(inner)), shift_(shift) {}
  Expected<std::int64_t> count(std::string_view text) override {
    auto n = inner_->count(text);
    if (!n) return n;
    return *n + shift_;
  }

 private:
  std::unique_ptr<workload::TokenCounter> inner_;
  std::int64_t shift_;
};

// Prompts from a dataset's records (everything but text-slice).
std::unique_ptr<workload::Workload> dataset_workload(const ResolvedRun& run,
                                                     const workload::SyntheticOptions& options,
                                                     WorkloadInfo& info, RunObserver& observer) {
  const ResolvedRunSpec& spec = run.record;
  const DatasetChoice& choice = *run.spec.dataset;
  workload::DatasetOptions dataset_options;
  dataset_options.path = choice.path.string();
  dataset_options.format = choice.format;
  dataset_options.on_bad_record = choice.on_bad_record;
  dataset_options.sample = choice.sample;
  dataset_options.seed = spec.seed;
  dataset_options.turns = options.turns;
  auto dataset = workload::load_dataset(dataset_options);
  if (!dataset) throw Failure{kExitUsage, "--dataset: " + dataset.error().message};
  if (dataset->records.empty()) {
    throw Failure{
        kExitUsage,
        "--dataset: " + spec.dataset + " has no usable record" +
            (dataset->problems.empty() ? std::string() : " (" + dataset->problems.front() + ")")};
  }
  info.dataset = spec.dataset;
  info.dataset_format = spec.dataset_format;
  info.dataset_records = dataset->read;
  info.dataset_skipped = dataset->skipped;
  info.dataset_used = dataset->records.size();
  info.token_method = "dataset";
  info.token_source = "prompts as written in the dataset (no length target)";
  for (const std::string& problem : dataset->problems)
    info.warnings.push_back("skipped " + problem);
  if (dataset->too_short > 0) {
    info.warnings.push_back(std::to_string(dataset->too_short) + " conversations of " +
                            spec.dataset + " have fewer than " + std::to_string(spec.turns) +
                            " user turns and were left out");
  }
  if (dataset->skipped > dataset->problems.size()) {
    info.warnings.push_back("skipped " + std::to_string(dataset->skipped) +
                            " malformed records in all");
  }
  observer.note(fmt::format("dataset: {} records read, {} skipped, {} used", dataset->read,
                            dataset->skipped, dataset->records.size()));
  return std::make_unique<workload::DatasetWorkload>(std::move(*dataset), options);
}

// The token-counting method chosen, with what it needs kept alive.
struct Counting {
  std::unique_ptr<workload::Tokenizer> tokenizer;   // --tokenizer, referenced by `counter`
  std::unique_ptr<workload::TokenCounter> counter;  // null: nothing can count (probe, estimate)
  workload::PromptCalibration calibration = workload::estimated_calibration();
};

// What the user forced with --token-counting, or the best available: the engine's /tokenize,
// then --tokenizer, then (Ollama) generation probes, then the estimate.
Counting choose_counting(const ResolvedRun& run, const engines::Engine& engine,
                         engines::EngineKind kind, const net::Url& url, ApiKind api,
                         CancellationToken& cancel, WorkloadInfo& info) {
  const ResolvedRunSpec& spec = run.record;
  const TokenCounting method = run.spec.token_counting;
  Counting c;
  if (!spec.tokenizer.empty()) {
    auto loaded = workload::load_tokenizer(spec.tokenizer);
    if (!loaded) throw Failure{kExitUsage, "--tokenizer: " + loaded.error().message};
    c.tokenizer = std::move(*loaded);
  }
  std::string engine_failure;
  if (method == TokenCounting::kAuto || method == TokenCounting::kEngine) {
    if (engines::tokenize_request(kind, url.base_path, "", spec.model)) {
      net::TlsOptions tls;
      tls.verify = spec.tls_verify;
      auto engine_counter =
          std::make_unique<EngineTokenCounter>(kind, url, spec.model, tls, cancel);
      auto calibrated = workload::calibrate(*engine_counter, workload::TokenMethod::kEngineTokenize,
                                            spec.engine + " /tokenize");
      if (calibrated) {
        c.calibration = std::move(*calibrated);
        c.counter = std::move(engine_counter);
      } else {
        engine_failure = calibrated.error().message;
      }
    } else {
      engine_failure = spec.engine + " has no tokenize route";
    }
    if (!c.counter && method == TokenCounting::kEngine) {
      throw Failure{kExitUsage, "--token-counting engine: " + engine_failure};
    }
  }
  if (method == TokenCounting::kTokenizer && !c.tokenizer) {
    throw Failure{kExitUsage, "--token-counting tokenizer needs --tokenizer FILE"};
  }
  if (!c.counter && c.tokenizer &&
      (method == TokenCounting::kAuto || method == TokenCounting::kTokenizer)) {
    auto local = std::make_unique<LocalTokenCounter>(*c.tokenizer);
    auto calibrated = workload::calibrate(*local, workload::TokenMethod::kLocalTokenizer,
                                          spec.tokenizer + ": " + c.tokenizer->description());
    if (!calibrated) throw Failure{kExitUsage, "--tokenizer: " + calibrated.error().message};
    c.calibration = std::move(*calibrated);
    c.counter = std::move(local);
  }
  // Any engine that reports the prompt's token count in a generation answer can be
  // calibrated by probes (Ollama's prompt_eval_count, usage.prompt_tokens of every OpenAI
  // server); only one that reports none is left to the estimate.
  const bool probe_wanted = method == TokenCounting::kProbe || method == TokenCounting::kAuto;
  if (!c.counter && probe_wanted) {
    auto probed = probe(run, engine, url, api, cancel, info.warnings);
    if (probed) {
      c.calibration = std::move(*probed);
    } else if (method == TokenCounting::kProbe) {
      throw Failure{kExitUnreachable, "--token-counting probe: " + probed.error().message};
    } else {
      info.warnings.push_back("calibration probes failed (" + probed.error().message +
                              "): prompt lengths are estimates");
    }
  }
  // What counts a text may still differ from what a generation request counts (the chat
  // template; a BOS the tokenize route leaves out): one 1-token request measures the shift.
  if (c.counter) {
    const std::string text = probe_text(32, c.calibration.words);
    auto counted = c.counter->count(text);
    if (!counted) {
      throw Failure{kExitUnreachable, "counting a probe: " + counted.error().message};
    }
    auto reported =
        generation_prompt_count(run, engine, url, api, {{"user", text}}, cancel, info.warnings);
    if (!reported) {
      info.warnings.push_back(
          "no generation-side prompt count to check the token counter against (" +
          reported.error().message + ")");
    } else if (*reported != *counted) {
      const std::int64_t shift = *reported - *counted;
      c.calibration.offset += shift;
      c.calibration.source +=
          fmt::format(", {:+d} tokens a generation request adds (one probe)", shift);
      c.counter = std::make_unique<ShiftedCounter>(std::move(c.counter), shift);
    }
    // A chat template wraps every message: a conversation of three messages shows what each
    // message beyond the first adds, for multi-turn targets.
    if (reported && api == ApiKind::kChat && spec.turns > 1) {
      const std::vector<ChatMessage> conversation{{"user", probe_text(8, c.calibration.words)},
                                                  {"assistant", probe_text(8, c.calibration.words)},
                                                  {"user", probe_text(8, c.calibration.words)}};
      auto joined = c.counter->count(workload::joined_contents(conversation));
      auto chat =
          generation_prompt_count(run, engine, url, api, conversation, cancel, info.warnings);
      if (joined && chat) {
        c.calibration.per_message = std::max<std::int64_t>(0, (*chat - *joined) / 2);
        c.calibration.source += fmt::format(", {} tokens per further chat message (one probe)",
                                            c.calibration.per_message);
      }
    }
  }
  if (c.calibration.method == workload::TokenMethod::kEstimate) {
    info.warnings.push_back(
        method == TokenCounting::kEstimate
            ? std::string("prompt lengths are estimates (one common English word per token), as "
                          "--token-counting estimate asks")
            : "prompt lengths are estimates (one common English word per token): the engine "
              "has no tokenize route, reported no prompt count to probes, and no --tokenizer "
              "was given" +
                  (engine_failure.empty() ? std::string() : " (" + engine_failure + ")"));
  }
  return c;
}

// A text corpus cut into prompts (--dataset-format text-slice).
std::unique_ptr<workload::WordPromptWorkload> corpus_workload(
    const ResolvedRunSpec& spec, const workload::SyntheticOptions& options, Counting& counting,
    WorkloadInfo& info) {
  // Keep enough words for the sample's prompts, never the whole of a huge file.
  const std::size_t max_words =
      std::clamp<std::size_t>(spec.dataset_sample * 200, 100'000, 5'000'000);
  auto corpus = workload::load_corpus(spec.dataset, max_words);
  if (!corpus) throw Failure{kExitUsage, "--dataset: " + corpus.error().message};
  // Natural words are often several tokens: measure how many on the corpus itself.
  workload::PromptCalibration& calibration = counting.calibration;
  calibration.tokens_per_word = 1.3;  // typical of English under BPE, when nothing can count
  if (counting.counter) {
    const std::size_t n = std::min<std::size_t>(corpus->words.size(), 4000);
    std::string sample;
    for (std::size_t i = 0; i < n; ++i) sample += (i ? " " : "") + corpus->words[i];
    auto counted = counting.counter->count(sample);
    if (!counted) {
      throw Failure{kExitUnreachable, "counting corpus tokens: " + counted.error().message};
    }
    calibration.tokens_per_word =
        std::max(0.1, static_cast<double>(*counted - calibration.offset) / static_cast<double>(n));
  }
  info.dataset = spec.dataset;
  info.dataset_format = spec.dataset_format;
  info.dataset_records = corpus->lines;
  info.dataset_used = corpus->words.size();
  if (corpus->truncated) {
    info.warnings.push_back("text-slice: kept the first " + std::to_string(corpus->words.size()) +
                            " words of " + spec.dataset);
  }
  return std::make_unique<workload::CorpusWorkload>(std::move(*corpus), options, calibration);
}

// Counts the prompts the run will send and corrects those that miss (before the clock).
void verify_prompts(workload::WordPromptWorkload& workload, Counting& counting,
                    std::uint64_t requests_to_verify, WorkloadInfo& info, RunObserver& observer) {
  const std::uint64_t n =
      std::min(requests_to_verify > 0 ? requests_to_verify : kVerifyUnknown, kVerifyMost);
  if (n > kVerifyUnknown) {
    observer.note(fmt::format("prompts: counting {} prompts with {} before the run…", n,
                              counting.calibration.source));
  }
  auto verified = workload.verify(*counting.counter, n);
  if (!verified) {
    throw Failure{kExitUnreachable, "verifying prompt lengths: " + verified.error().message};
  }
  info.prompts_verified = verified->verified;
  info.prompts_corrected = verified->corrected;
  info.prompts_unverifiable = verified->missed;
  if (verified->missed > 0) {
    info.warnings.push_back(std::to_string(verified->missed) + " of " +
                            std::to_string(verified->verified) +
                            " prompts could not be made exactly their target length");
  }
}

}  // namespace

BuiltWorkload build_workload(const ResolvedRun& run, const engines::Engine& engine,
                             std::uint64_t requests_to_verify, CancellationToken& cancel,
                             RunObserver& observer) {
  const ResolvedRunSpec& spec = run.record;
  BuiltWorkload built;
  WorkloadInfo& info = built.info;
  const net::Url& url = run.spec.url;
  const engines::EngineKind kind = run.spec.engine;
  const ApiKind api = run.spec.api->api;

  workload::SyntheticOptions options;
  options.model = spec.model;
  options.api = api;
  options.prompt_tokens = run.spec.prompt_tokens;
  options.max_tokens = run.spec.max_tokens;
  options.stream = spec.stream;
  options.ignore_eos = spec.ignore_eos;
  options.temperature = spec.temperature;
  options.seed = spec.seed;
  options.prefix_tokens = spec.prefix_tokens;
  options.prefix_groups = static_cast<std::uint32_t>(std::max(1, spec.prefix_groups));
  options.turns = static_cast<std::uint32_t>(std::max(1, spec.turns));

  // context-limit: the engine's context window minus the largest output asked for.
  if (options.prompt_tokens.kind == workload::LengthKind::kContextLimit) {
    std::optional<std::int64_t> context;
    if (run.engine_info) {
      for (const auto& m : run.engine_info->models) {
        if (m.context_length && (m.id == spec.model || !context)) context = m.context_length;
      }
    }
    if (!context) {
      throw Failure{kExitUsage,
                    "--prompt-tokens context-limit: the engine did not report its context "
                    "window; give a length instead"};
    }
    const std::int64_t prompt = *context - options.max_tokens.upper_bound();
    if (prompt < 1) {
      throw Failure{kExitUsage,
                    "--prompt-tokens context-limit: --max-tokens leaves no room "
                    "in the context window of " +
                        std::to_string(*context)};
    }
    options.prompt_tokens = workload::fixed_length(prompt);
    info.warnings.push_back("context-limit prompts: " + std::to_string(prompt) + " tokens (" +
                            std::to_string(*context) + "-token window minus the output budget)");
  }
  const bool slice_corpus =
      run.spec.dataset && run.spec.dataset->format == workload::DatasetFormat::kTextSlice;
  if (run.spec.dataset && !slice_corpus) {
    built.workload = dataset_workload(run, options, info, observer);
    return built;
  }

  Counting counting = choose_counting(run, engine, kind, url, api, cancel, info);
  std::unique_ptr<workload::WordPromptWorkload> words =
      slice_corpus ? corpus_workload(spec, options, counting, info)
                   : std::make_unique<workload::SyntheticWorkload>(options, counting.calibration);
  if (counting.counter) verify_prompts(*words, counting, requests_to_verify, info, observer);
  info.token_method = std::string(workload::to_string(counting.calibration.method));
  info.token_source = counting.calibration.source;
  info.token_offset = counting.calibration.offset;
  observer.note("prompts: " + info.token_method + " (" + info.token_source + ")" +
                (info.prompts_verified > 0
                     ? ", " + std::to_string(info.prompts_verified) + " verified"
                     : std::string()));
  built.workload = std::move(words);
  return built;
}

}  // namespace llmbench::app
