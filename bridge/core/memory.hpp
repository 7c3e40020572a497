#pragma once
// The process's allocator: mimalloc where it is linked (LB_ALLOCATOR=mimalloc, the default
// outside sanitizer builds), glibc's malloc otherwise.

namespace bridge::memory {

// While one lives, what is freed goes back to the system at once; when it ends, whatever is
// still held free goes back too. Around a burst of temporary allocations: loading 1M interfaces
// parses ~1.5 GB that is then free. Otherwise mimalloc keeps freed pages for reuse (fast, but
// RSS stays at the peak). One at a time, on one thread.
class ReturnFreedPages {
 public:
  ReturnFreedPages();
  ~ReturnFreedPages();
  ReturnFreedPages(const ReturnFreedPages&) = delete;
  ReturnFreedPages& operator=(const ReturnFreedPages&) = delete;

 private:
  [[maybe_unused]] long saved_[3] = {};  // mimalloc options while it lives (unused with glibc)
};
// "mimalloc" or "glibc", for the start line.
const char* allocatorName();

}  // namespace bridge::memory
