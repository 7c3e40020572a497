#pragma once
// Names the calling thread (at most 15 characters), so `top -H`, `perf` and /proc/PID/task show
// which of the bridge's threads is busy.
#include <pthread.h>

namespace bridge {

inline void nameThisThread(const char* name) {
  pthread_setname_np(pthread_self(), name);
}

}  // namespace bridge
