#include "engines/engine.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "engines/json_frame.h"

namespace llmbench::engines {

simdjson::ondemand::parser& frame_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

std::string format_json_number(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

std::string error_message_from_body(std::string_view body, std::uint64_t* invalid_utf8_bytes) {
  constexpr std::size_t kMax = 300;
  std::string message;
  // The body made UTF-8 first, so that a JSON error whose message holds a stray byte is still
  // read as JSON (nlohmann rejects invalid UTF-8) and the message kept is always valid.
  std::uint64_t invalid = 0;
  std::string valid;
  if (!is_valid_utf8(body)) {
    valid = valid_utf8(body, invalid);
    body = valid;
  }
  if (invalid_utf8_bytes) *invalid_utf8_bytes += invalid;
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    if (auto it = json.find("error"); it != json.end()) {
      if (it->is_string()) {
        message = it->get<std::string>();
      } else if (it->is_object() && it->contains("message") && (*it)["message"].is_string()) {
        message = (*it)["message"].get<std::string>();
      }
    }
    if (message.empty()) {
      if (auto it = json.find("message"); it != json.end() && it->is_string()) {
        message = it->get<std::string>();
      } else if (auto detail = json.find("detail"); detail != json.end()) {
        message = detail->is_string() ? detail->get<std::string>() : detail->dump();
      }
    }
  }
  if (message.empty()) {
    message.assign(utf8_prefix(body, kMax));
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
  }
  message.resize(utf8_prefix(message, kMax).size());
  return message;
}

std::string error_field_message(std::string_view payload, std::uint64_t* invalid_utf8_bytes) {
  std::string message = error_message_from_body(payload, invalid_utf8_bytes);
  if (message.empty()) message = "the stream's \"error:\" line holds no message";
  return message;
}

std::string http_error_message(int status, std::string_view body, RequestRecord& record) {
  std::string message = "HTTP " + std::to_string(status) + ": " +
                        error_message_from_body(body, &record.invalid_utf8_bytes);
  if (record.retry_after)
    message += " (retry after " + format_json_number(*record.retry_after) + " s)";
  return message;
}

}  // namespace llmbench::engines
