#pragma once
// Secrets out of everything llmbench writes or prints.
//
// A Redactor holds the secret strings this process knows (the API key, every header value the
// user configured, sensitive-looking URL query values) and replaces each of them — and the
// forms an echoing server may carry it in: JSON-escaped, percent-encoded, the credential of an
// "Authorization: Basic/Bearer …" value, the decoded user:password of Basic — with
// "[REDACTED]". Every writer (result JSON, CSVs, suite.json, terminal tables, stderr) and the
// point where network text enters a record pass their text through the process's Redactor.
//
// A secret shorter than kMinSecretBytes is not registered: redacting every "a" or "1" would
// wreck the output. Callers that know a value is a credential (API key, a sensitive header or
// query parameter) refuse such a value instead (see app/secrets.h).

#include <atomic>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench {

inline constexpr std::size_t kMinSecretBytes = 4;
inline constexpr std::string_view kRedacted = "[REDACTED]";

// The first byte of `text` that may not appear in an HTTP header name or value: C0 controls
// (CR, LF, NUL…) except horizontal tab, and DEL. nullopt when there is none.
std::optional<std::size_t> find_control_char(std::string_view text);

// Whether a header or URL query parameter of this name carries a credential (case-insensitive:
// authorization, cookie, x-api-key, api_key, token, password, sig…).
bool is_sensitive_name(std::string_view name);

class Redactor {
 public:
  // Registers `secret` and its encoded forms. Returns false (and registers nothing) when it is
  // shorter than kMinSecretBytes. Thread-safe; in practice called before a run starts.
  bool add(std::string_view secret);
  // A header value: the whole value, and for "Scheme credential" values the credential (and
  // for Basic the decoded "user:password" and the password).
  bool add_header_value(std::string_view value);
  // The values of the sensitive-named parameters of a URL query ("a=1&api_key=…"), raw and
  // percent-decoded. Returns the names whose value is too short to register.
  std::vector<std::string> add_query(std::string_view query);

  // `text` with every registered secret (in any of its forms) replaced by kRedacted; a text
  // that ends in the first kMinSecretBytes or more bytes of a secret (a message cut short)
  // loses that tail too. Thread-safe; lock-free when nothing is registered.
  [[nodiscard]] std::string redact(std::string_view text) const;
  // The same in place; returns whether anything was replaced.
  bool redact_in_place(std::string& text) const;

  [[nodiscard]] bool empty() const { return !any_.load(std::memory_order_acquire); }
  void clear();  // tests

 private:
  void add_form(std::string form);  // caller holds the lock

  mutable std::shared_mutex mutex_;
  std::vector<std::string> needles_;  // longest first
  std::atomic<bool> any_{false};
};

// The process's secrets. Besides the signal bridge in cli/, the one process-wide object: every
// writer in every module must reach the same set, and passing it through each would make a
// forgotten writer a leak.
Redactor& process_redactor();

// process_redactor().redact(text) / redact_in_place(text).
[[nodiscard]] std::string redact(std::string_view text);
bool redact_in_place(std::string& text);

// Redacts every string (and object key) of a JSON document in place (nlohmann::json or
// ordered_json; header-only so core does not depend on a JSON library).
template <class Json>
void redact_json(Json& j) {
  if (process_redactor().empty()) return;
  if (j.is_string()) {
    redact_in_place(j.template get_ref<std::string&>());
  } else if (j.is_array()) {
    for (auto& element : j) redact_json(element);
  } else if (j.is_object()) {
    bool renamed = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string key = it.key();
      renamed = redact_in_place(key) || renamed;
      redact_json(it.value());
    }
    if (!renamed) return;
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[redact(it.key())] = std::move(it.value());
    j = std::move(out);
  }
}

}  // namespace llmbench
