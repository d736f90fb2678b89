#include "workload/fingerprint.h"

#include <openssl/evp.h>

#include <bit>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

namespace llmbench::workload {

namespace {

std::string hex_digest(const unsigned char* digest, unsigned int size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// SHA-256 over a sequence of fields, each written unambiguously: strings with their length
// first, numbers as 8 bytes, so ("ab", "c") and ("a", "bc") hash apart.
class Hasher {
 public:
  Hasher() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void bytes(std::string_view text) {
    number(text.size());
    EVP_DigestUpdate(ctx_.get(), text.data(), text.size());
  }
  void number(std::uint64_t n) {
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(n >> (8 * i));
    EVP_DigestUpdate(ctx_.get(), le, sizeof le);
  }
  void real(double x) { number(std::bit_cast<std::uint64_t>(x)); }
  template <class T>
  void optional(const std::optional<T>& value) {
    number(value ? 1 : 0);
    if (!value) return;
    if constexpr (std::is_floating_point_v<T>) {
      real(*value);
    } else {
      number(static_cast<std::uint64_t>(*value));
    }
  }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    return hex_digest(digest, size);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  // The digest of the bytes themselves, not of a length-prefixed field: it names a file.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return hex_digest(digest, size);
}

Fingerprint fingerprint(const Workload& workload, std::uint64_t count,
                        const LoadDescription& load) {
  Hasher prompts;
  Hasher lengths;
  for (std::uint64_t i = 0; i < count; ++i) {
    const RequestSpec spec = workload.make(i);
    prompts.number(static_cast<std::uint64_t>(spec.api));
    if (spec.api == ApiKind::kChat) {
      prompts.number(spec.messages.size());
      for (const ChatMessage& m : spec.messages) {
        prompts.bytes(m.role);
        prompts.bytes(m.content);
      }
    } else {
      prompts.bytes(spec.prompt);
    }
    lengths.number(static_cast<std::uint64_t>(spec.prompt_tokens_target));
    lengths.number(static_cast<std::uint64_t>(spec.max_tokens));
    lengths.number(spec.stream ? 1 : 0);
    lengths.number(spec.ignore_eos ? 1 : 0);
    lengths.optional(spec.temperature);
    lengths.optional(spec.seed);
  }
  Hasher schedule;
  schedule.bytes(load.mode);
  schedule.number(load.concurrency.size());
  for (const int c : load.concurrency) schedule.number(static_cast<std::uint64_t>(c));
  schedule.bytes(load.rate);
  schedule.bytes(load.arrival);
  schedule.real(load.burstiness);
  schedule.bytes(load.trace_sha256);
  schedule.bytes(load.requests);
  schedule.bytes(load.duration);
  schedule.bytes(load.warmup);
  schedule.bytes(load.cooldown);
  schedule.number(load.seed);

  Fingerprint out;
  out.prompts = prompts.hex();
  out.lengths = lengths.hex();
  out.load = schedule.hex();
  out.requests_hashed = count;
  Hasher whole;
  whole.bytes(out.prompts);
  whole.bytes(out.lengths);
  whole.bytes(out.load);
  whole.number(count);
  out.workload = whole.hex();
  return out;
}

std::vector<std::string> fingerprint_differences(const Fingerprint& a, const Fingerprint& b) {
  std::vector<std::string> differ;
  if (a.requests_hashed != b.requests_hashed) differ.emplace_back("requests hashed");
  if (a.prompts != b.prompts) differ.emplace_back("prompts");
  if (a.lengths != b.lengths) differ.emplace_back("lengths");
  if (a.load != b.load) differ.emplace_back("load");
  return differ;
}

}  // namespace llmbench::workload
