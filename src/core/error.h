#pragma once
// The error taxonomy. Two kinds of failure exist in llmbench:
//  * Error / ErrorCode: something the user or the environment got wrong (bad URL, bad config,
//    unreachable engine). Returned as tl::expected on I/O paths, turned into an exit code by
//    cli/.
//  * RequestError / ErrorCategory: the outcome of one benchmark request. Data in the
//    RequestRecord, counted by category (METRICS.md M32), never an exception.

#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace llmbench {

enum class ErrorCode {
  kInvalidArgument,  // bad option value or combination
  kInvalidConfig,    // config file content is wrong
  kIo,               // file could not be read or written
  kUnreachable,      // engine could not be contacted before the run
  kProtocol,         // peer spoke something we could not understand
  kInternal,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <class T>
using Expected = tl::expected<T, Error>;

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// Category of a failed request. Keys in results are the snake_case names of to_string().
enum class ErrorCategory {
  kConnect,            // TCP connect refused / unreachable / DNS
  kClient,             // the client itself ran out of a resource (file descriptors, local
                       // ports, socket memory): not the engine's fault
  kTls,                // TLS handshake or certificate verification failed
  kTimeoutConnect,     // connect did not finish within the connect timeout
  kTimeoutFirstToken,  // no first token within the first-token timeout
  kTimeoutIdle,        // silence between response bytes exceeded the idle timeout
  kTimeoutTotal,       // whole request exceeded the total timeout
  kHttp4xx,            // 4xx other than 429
  kHttp429,            // rate limited
  kHttp5xx,            // server error status
  kProtocol,           // malformed HTTP, frame or JSON
  kEngineError,        // error reported by the engine inside a 200 response
  kTruncated,          // response ended before the engine signalled completion
  kCancelled,          // cancelled by the user (Ctrl-C) or the end of the run
};

inline constexpr ErrorCategory kAllErrorCategories[] = {
    ErrorCategory::kConnect,           ErrorCategory::kTls,         ErrorCategory::kTimeoutConnect,
    ErrorCategory::kTimeoutFirstToken, ErrorCategory::kTimeoutIdle, ErrorCategory::kTimeoutTotal,
    ErrorCategory::kHttp4xx,           ErrorCategory::kHttp429,     ErrorCategory::kHttp5xx,
    ErrorCategory::kProtocol,          ErrorCategory::kEngineError, ErrorCategory::kTruncated,
    ErrorCategory::kCancelled,         ErrorCategory::kClient,
};

std::string_view to_string(ErrorCategory category);
std::optional<ErrorCategory> error_category_from_string(std::string_view name);

// True for the timeout_* categories (METRICS.md M33 counts these).
bool is_timeout(ErrorCategory category);

// Category implied by a non-2xx HTTP status.
ErrorCategory category_for_http_status(int status);

struct RequestError {
  ErrorCategory category = ErrorCategory::kProtocol;
  std::string message;
};

}  // namespace llmbench
