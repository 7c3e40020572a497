#pragma once
// `lorawan-bridge replay`: acts as packet forwarders and sends a capture to a running bridge.
// Capture format: JSON lines, one PUSH_DATA each:
//   {"gateway":"AA555A0000000001","rxpk":[{...}],"delay_ms":20,"version":2}
// `rxpk` may also be a single object; `stat` is passed through; `raw_base64` sends arbitrary
// bytes (for malformed-input captures). Blank lines and lines starting with # are skipped.
#include <ostream>
#include <string>

namespace bridge {

struct ReplayResult {
  size_t sent = 0;
  size_t acked = 0;
  size_t skipped = 0;  // lines that were not valid capture entries
};

// Returns the counts; progress and problems (with line numbers) go to `progress`.
ReplayResult replayCapture(const std::string& hostPort, const std::string& file,
                           std::ostream& progress, bool realTime = true);

}  // namespace bridge
