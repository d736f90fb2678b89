#include "workload/dataset.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <utility>

#include "workload/line_reader.h"

namespace llmbench::workload {

namespace {

constexpr std::size_t kProblemsKept = 5;
constexpr std::uint64_t kDatasetSalt = 0x6461746173657421ULL;  // "dataset!"

std::int64_t count_words(std::string_view text) {
  std::int64_t n = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// Keeps a uniform sample of the valid records (Algorithm R with a seeded generator) and the
// counts; reports malformed ones per the policy.
class Collector {
 public:
  Collector(const DatasetOptions& options, Dataset& out)
      : options_(options), out_(out), rng_(mix_seed(options.seed, kDatasetSalt)) {}

  void keep(DatasetRecord record) {
    const auto users = static_cast<std::uint32_t>(
        std::count_if(record.messages.begin(), record.messages.end(),
                      [](const ChatMessage& m) { return m.role == "user"; }));
    if (users < options_.turns) {
      ++out_.too_short;
      return;
    }
    const std::uint64_t k = out_.read++;
    if (kept_.size() < options_.sample) {
      kept_.emplace_back(k, std::move(record));
    } else if (options_.sample > 0) {
      const std::uint64_t j = std::uniform_int_distribution<std::uint64_t>(0, k)(rng_);
      if (j < options_.sample) kept_[j] = {k, std::move(record)};
    }
  }
  // False when the load must stop (policy fail); `error` is then set.
  bool bad(std::uint64_t line, const std::string& why) {
    const std::string where = options_.path + ":" + std::to_string(line) + ": " + why;
    if (options_.on_bad_record == OnBadRecord::kFail) {
      error_ = where + " (--on-bad-record fail)";
      return false;
    }
    ++out_.skipped;
    if (out_.problems.size() < kProblemsKept) out_.problems.push_back(where);
    return true;
  }
  void finish() {
    std::sort(kept_.begin(), kept_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [k, record] : kept_) out_.records.push_back(std::move(record));
  }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  const DatasetOptions& options_;
  Dataset& out_;
  std::mt19937_64 rng_;
  std::vector<std::pair<std::uint64_t, DatasetRecord>> kept_;
  std::string error_;
};

std::string get_string(simdjson::ondemand::value value, bool& ok) {
  std::string_view text;
  if (value.get_string().get(text)) {
    ok = false;
    return {};
  }
  return std::string(text);
}

// One ShareGPT conversation → the first user turn (after any system turn) and its reply.
std::optional<std::string> sharegpt_record(simdjson::padded_string_view json,
                                           simdjson::ondemand::parser& parser,
                                           std::uint32_t turns_wanted, DatasetRecord& record) {
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return "not JSON";
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return "a conversation must be an object";
  simdjson::ondemand::array turns;
  if (object.find_field_unordered("conversations").get_array().get(turns)) {
    return "no \"conversations\" array";
  }
  std::uint32_t users = 0;
  for (auto turn_result : turns) {
    simdjson::ondemand::object turn;
    if (turn_result.get_object().get(turn)) return "a turn must be an object";
    std::string_view from;
    if (turn.find_field_unordered("from").get_string().get(from)) return "a turn without \"from\"";
    bool ok = true;
    simdjson::ondemand::value value;
    if (turn.find_field_unordered("value").get(value)) return "a turn without \"value\"";
    std::string text = get_string(value, ok);
    if (!ok) return "a turn's \"value\" must be a string";
    const bool user = from == "human" || from == "user";
    const bool reply = from == "gpt" || from == "assistant" || from == "chatgpt" || from == "bard";
    if (from == "system" && users == 0) {
      record.messages.push_back({"system", std::move(text)});
    } else if (user) {
      if (users == turns_wanted) break;  // every turn needed is in, with its reply
      if (!record.messages.empty() && record.messages.back().role == "user") {
        record.messages.back().content += "\n" + text;  // two human turns in a row
      } else {
        record.messages.push_back({"user", std::move(text)});
        record.reply_words.push_back(0);
        ++users;
      }
    } else if (reply && users > 0) {
      if (record.messages.back().role == "assistant") {
        record.messages.back().content += "\n" + text;
      } else {
        record.messages.push_back({"assistant", std::move(text)});
      }
      record.reply_words.back() = count_words(record.messages.back().content);
    }
  }
  const bool have_user = users > 0;
  if (!have_user) return "no human turn";
  return std::nullopt;
}

std::optional<std::string> jsonl_record(simdjson::padded_string_view json,
                                        simdjson::ondemand::parser& parser, DatasetRecord& record) {
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return "not JSON";
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return "not a JSON object";
  bool found = false;
  for (auto field_result : object) {
    if (field_result.error()) return "not JSON";
    simdjson::ondemand::field field = std::move(field_result).value_unsafe();
    std::string_view key;
    if (field.unescaped_key().get(key)) return "not JSON";
    if (key == "prompt") {
      bool ok = true;
      std::string text = get_string(field.value(), ok);
      if (!ok) return "\"prompt\" must be a string";
      record.messages.push_back({"user", std::move(text)});
      found = true;
    } else if (key == "messages") {
      simdjson::ondemand::array messages;
      if (field.value().get_array().get(messages)) return "\"messages\" must be an array";
      for (auto m_result : messages) {
        simdjson::ondemand::object m;
        if (m_result.get_object().get(m)) return "a message must be an object";
        std::string_view role;
        std::string_view content;
        if (m.find_field_unordered("role").get_string().get(role))
          return "a message without \"role\"";
        if (m.find_field_unordered("content").get_string().get(content)) {
          return "a message's \"content\" must be a string";
        }
        record.messages.push_back({std::string(role), std::string(content)});
      }
      if (record.messages.empty()) return "\"messages\" is empty";
      found = true;
    } else if (key == "max_tokens") {
      std::int64_t n = 0;
      if (field.value().get_int64().get(n) || n < 1)
        return "\"max_tokens\" must be a whole number ≥ 1";
      record.max_tokens = n;
    }
  }
  if (!found) return "neither \"prompt\" nor \"messages\"";
  return std::nullopt;
}

Error too_long(const std::string& path, std::uint64_t line, std::string_view what,
               std::size_t limit, std::string_view begins) {
  return Error{ErrorCode::kInvalidConfig,
               path + ":" + std::to_string(line) + ": " + std::string(what) + " is longer than " +
                   size_text(limit) + " (the limit), beginning " + excerpt(begins)};
}

// Splits a top-level JSON array into its elements as they stream past, tracking lines.
Expected<void> stream_array(std::istream& in, const DatasetOptions& options, Collector& collector) {
  simdjson::ondemand::parser parser;
  std::string element;
  std::vector<char> chunk(std::max<std::size_t>(1, options.read_chunk));
  std::uint64_t line = 1;
  std::uint64_t element_line = 0;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool started = false;
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    for (std::size_t i = 0; i < n; ++i) {
      const char c = chunk[i];
      if (c == '\n') ++line;
      if (depth >= 2) {
        if (element.size() >= options.max_record_bytes) {
          return tl::unexpected(too_long(options.path, element_line, "a conversation",
                                         options.max_record_bytes, element));
        }
        element.push_back(c);
      }
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      switch (c) {
        case '"':
          if (depth == 0) {
            return make_error(ErrorCode::kInvalidConfig,
                              options.path + ":" + std::to_string(line) +
                                  ": a ShareGPT file is a JSON array of conversations");
          }
          in_string = true;
          if (depth == 1) {
            if (!collector.bad(line, "an element must be an object")) {
              return make_error(ErrorCode::kInvalidConfig, collector.error());
            }
          }
          break;
        case '[':
        case '{':
          if (depth == 0) {
            if (c != '[') {
              return make_error(ErrorCode::kInvalidConfig,
                                options.path + ":" + std::to_string(line) +
                                    ": a ShareGPT file is a JSON array of conversations");
            }
            started = true;
          } else if (depth == 1) {
            element.assign(1, c);
            element_line = line;
          }
          ++depth;
          break;
        case ']':
        case '}':
          --depth;
          if (depth == 1) {
            DatasetRecord record;
            const simdjson::padded_string padded(element);
            auto why = sharegpt_record(padded, parser, options.turns, record);
            if (why) {
              if (!collector.bad(element_line, *why)) {
                return make_error(ErrorCode::kInvalidConfig, collector.error());
              }
            } else {
              collector.keep(std::move(record));
            }
            element.clear();
          }
          if (depth < 0) {
            return make_error(ErrorCode::kInvalidConfig, options.path + ":" + std::to_string(line) +
                                                             ": unbalanced ']' or '}'");
          }
          break;
        default:
          // Blanks, and a UTF-8 byte-order mark before the array, are all that may be outside it.
          if (depth == 0 && c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
              !(line == 1 && !started && (c == '\xEF' || c == '\xBB' || c == '\xBF'))) {
            return make_error(ErrorCode::kInvalidConfig,
                              options.path + ":" + std::to_string(line) + ": " +
                                  excerpt(std::string_view(&c, 1)) +
                                  (started ? " after the JSON array"
                                           : ": a ShareGPT file is a JSON array of conversations"));
          }
          break;
      }
    }
  }
  if (!started || depth != 0) {
    return make_error(ErrorCode::kInvalidConfig,
                      options.path + ":" + std::to_string(line) +
                          (started ? ": the JSON array is not closed (file truncated?)"
                                   : ": a ShareGPT file is a JSON array of conversations"));
  }
  return {};
}

}  // namespace

Expected<DatasetFormat> parse_dataset_format(std::string_view name) {
  if (name == "sharegpt") return DatasetFormat::kShareGpt;
  if (name == "jsonl") return DatasetFormat::kJsonl;
  if (name == "text") return DatasetFormat::kText;
  if (name == "text-slice") return DatasetFormat::kTextSlice;
  return make_error(ErrorCode::kInvalidArgument,
                    "'" + std::string(name) + "' is not one of sharegpt, jsonl, text, text-slice");
}

std::string_view to_string(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kShareGpt:
      return "sharegpt";
    case DatasetFormat::kJsonl:
      return "jsonl";
    case DatasetFormat::kText:
      return "text";
    case DatasetFormat::kTextSlice:
      return "text-slice";
  }
  return "text";
}

DatasetFormat guess_dataset_format(const std::string& path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".jsonl") || ends_with(".ndjson")) return DatasetFormat::kJsonl;
  if (ends_with(".json")) return DatasetFormat::kShareGpt;
  return DatasetFormat::kText;
}

Expected<Dataset> load_dataset(const DatasetOptions& options) {
  std::ifstream in(options.path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, options.path + ": cannot be read");
  Dataset dataset;
  Collector collector(options, dataset);
  if (options.format == DatasetFormat::kShareGpt) {
    if (auto streamed = stream_array(in, options, collector); !streamed) {
      return tl::unexpected(streamed.error());
    }
  } else {
    simdjson::ondemand::parser parser;
    std::string line;
    LineReader lines(in, options.max_record_bytes, options.read_chunk);
    for (;;) {
      const LineReader::Status status = lines.next(line);
      if (status == LineReader::Status::kEnd) break;
      const std::uint64_t number = lines.number();
      if (status == LineReader::Status::kTooLong) {
        return tl::unexpected(
            too_long(options.path, number, "a line", options.max_record_bytes, line));
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      DatasetRecord record;
      if (options.format == DatasetFormat::kText) {
        record.messages.push_back({"user", line});
        collector.keep(std::move(record));
        continue;
      }
      const simdjson::padded_string padded(line);
      if (auto why = jsonl_record(padded, parser, record)) {
        if (!collector.bad(number, *why))
          return make_error(ErrorCode::kInvalidConfig, collector.error());
      } else {
        collector.keep(std::move(record));
      }
    }
  }
  collector.finish();
  return dataset;
}

DatasetWorkload::DatasetWorkload(Dataset dataset, SyntheticOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  order_.resize(dataset_.records.size());
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::mt19937_64 rng(mix_seed(options_.seed, kDatasetSalt));
  // Fisher–Yates with our own draws, so the order is the same with every standard library.
  for (std::size_t i = order_.size(); i > 1; --i) {
    std::swap(order_[i - 1], order_[static_cast<std::size_t>(rng() % i)]);
  }
}

RequestSpec DatasetWorkload::make(std::uint64_t index) const {
  RequestSpec spec = options_.request(index);
  const std::uint32_t turns = std::max<std::uint32_t>(1, options_.turns);
  const std::uint64_t conversation = index / turns;
  const auto turn = static_cast<std::uint32_t>(index % turns);
  const DatasetRecord& record = dataset_.records[order_[conversation % order_.size()]];
  // The conversation up to and including user turn `turn` (0-based).
  // Single-turn runs send a record whole (a JSONL "messages" context may hold several turns).
  std::vector<ChatMessage> messages;
  std::uint32_t users_seen = 0;
  for (const ChatMessage& m : record.messages) {
    if (turns > 1 && m.role == "user" && users_seen++ == turn + 1) break;
    messages.push_back(m);
  }
  // The recorded reply to the turn being sent is what the engine is to produce.
  while (!messages.empty() && messages.back().role != "user") messages.pop_back();
  const std::int64_t reply =
      turn < record.reply_words.size() ? record.reply_words[turn] : std::int64_t{0};
  if (options_.max_tokens.kind == LengthKind::kEmpirical) {
    spec.max_tokens = record.max_tokens.value_or(reply > 0 ? reply : 128);
  } else {
    std::mt19937_64 rng(mix_seed(options_.seed ^ kDatasetSalt, index));
    spec.max_tokens = options_.max_tokens.sample(rng);
  }
  if (spec.api == ApiKind::kChat) {
    spec.messages = std::move(messages);
  } else {
    for (const ChatMessage& m : messages) {
      if (!spec.prompt.empty()) spec.prompt += "\n";
      spec.prompt += m.content;
    }
  }
  return spec;
}

Expected<Corpus> load_corpus(const std::string& path, std::size_t max_words,
                             std::size_t max_line_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, path + ": cannot be read");
  Corpus corpus;
  std::string line;
  LineReader lines(in, max_line_bytes);
  for (LineReader::Status status; (status = lines.next(line)) != LineReader::Status::kEnd;) {
    if (status == LineReader::Status::kTooLong) {
      return tl::unexpected(too_long(path, lines.number(), "a line", max_line_bytes, line));
    }
    ++corpus.lines;
    std::size_t at = 0;
    while (at < line.size()) {
      const std::size_t begin = line.find_first_not_of(" \t\r", at);
      if (begin == std::string::npos) break;
      const std::size_t end = std::min(line.find_first_of(" \t\r", begin), line.size());
      if (corpus.words.size() == max_words) {
        corpus.truncated = true;
        return corpus;
      }
      corpus.words.push_back(line.substr(begin, end - begin));
      at = end;
    }
  }
  if (corpus.words.empty())
    return make_error(ErrorCode::kInvalidConfig, path + ": no words to slice");
  return corpus;
}

CorpusWorkload::CorpusWorkload(Corpus corpus, SyntheticOptions options,
                               PromptCalibration calibration)
    : WordPromptWorkload(std::move(calibration)),
      corpus_(std::move(corpus)),
      options_(std::move(options)) {}

RequestSpec CorpusWorkload::make(std::uint64_t index) const {
  RequestSpec spec = options_.request(index);
  std::mt19937_64 rng(mix_seed(options_.seed ^ kDatasetSalt, index));
  spec.prompt_tokens_target = std::max(options_.prompt_tokens.sample(rng), calibration_.offset + 1);
  spec.max_tokens = std::max<std::int64_t>(1, options_.max_tokens.sample(rng));
  const std::size_t start = static_cast<std::size_t>(rng() % corpus_.words.size());
  const std::int64_t words = words_for(index, spec.prompt_tokens_target);
  std::string text;
  for (std::int64_t i = 0; i < words; ++i) {
    if (i > 0) text.push_back(' ');
    text += corpus_.words[(start + static_cast<std::size_t>(i)) % corpus_.words.size()];
  }
  if (spec.api == ApiKind::kChat) {
    spec.messages.push_back({"user", std::move(text)});
  } else {
    spec.prompt = std::move(text);
  }
  return spec;
}

}  // namespace llmbench::workload
