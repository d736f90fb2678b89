#include "core/error.h"

namespace llmbench {

std::string_view to_string(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kConnect:
      return "connect";
    case ErrorCategory::kClient:
      return "client";
    case ErrorCategory::kTls:
      return "tls";
    case ErrorCategory::kTimeoutConnect:
      return "timeout_connect";
    case ErrorCategory::kTimeoutFirstToken:
      return "timeout_first_token";
    case ErrorCategory::kTimeoutIdle:
      return "timeout_idle";
    case ErrorCategory::kTimeoutTotal:
      return "timeout_total";
    case ErrorCategory::kHttp4xx:
      return "http_4xx";
    case ErrorCategory::kHttp429:
      return "http_429";
    case ErrorCategory::kHttp5xx:
      return "http_5xx";
    case ErrorCategory::kProtocol:
      return "protocol";
    case ErrorCategory::kEngineError:
      return "engine_error";
    case ErrorCategory::kTruncated:
      return "truncated";
    case ErrorCategory::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<ErrorCategory> error_category_from_string(std::string_view name) {
  for (const ErrorCategory c : kAllErrorCategories) {
    if (to_string(c) == name) return c;
  }
  return std::nullopt;
}

bool is_timeout(ErrorCategory category) {
  return category == ErrorCategory::kTimeoutConnect ||
         category == ErrorCategory::kTimeoutFirstToken || category == ErrorCategory::kTimeoutIdle ||
         category == ErrorCategory::kTimeoutTotal;
}

ErrorCategory category_for_http_status(int status) {
  if (status == 429) return ErrorCategory::kHttp429;
  if (status >= 500) return ErrorCategory::kHttp5xx;
  if (status >= 400) return ErrorCategory::kHttp4xx;
  return ErrorCategory::kProtocol;  // 1xx/3xx where a 2xx was expected
}

}  // namespace llmbench
