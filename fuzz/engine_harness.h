#pragma once
// One adapter's ResponseReader behind engines::ResponseAssembler, as the transport drives it.

#include <cstddef>
#include <cstdint>

#include "engines/registry.h"

namespace llmbench::fuzz {

// Input layout (every field optional; missing bytes read as zero):
//   byte 0   bit 0 native route, bit 1 chat API, bit 2 streamed, bits 3-5 HTTP status
//            (200, 200, 200, 200, 400, 422, 429, 503), bit 6 the transport reports the
//            connection closed early instead of a complete body, bit 7 (OpenAI target
//            only) the adapter as vLLM gets it
//   byte 1   Content-Type: application/json, text/event-stream, application/x-ndjson,
//            text/plain, or none
//   byte 2-3 where the body is split in two (see fuzz_support.h)
//   byte 4   length N of a header block: N bytes of "Name: value\n" lines
//   rest     the body
// The record read from the body in two pieces must equal the one read from it whole.
int fuzz_engine(engines::EngineKind kind, const std::uint8_t* data, std::size_t size);

}  // namespace llmbench::fuzz
