#include "bridge/core/memory.hpp"

#ifdef LB_MIMALLOC
#include <mimalloc.h>
#else
#include <malloc.h>
#endif

namespace bridge::memory {

#ifdef LB_MIMALLOC
namespace {
constexpr mi_option_t kOptions[] = {mi_option_page_reset, mi_option_decommit_delay,
                                    mi_option_segment_decommit_delay};
constexpr long kEager[] = {1, 0, 0};
}  // namespace

ReturnFreedPages::ReturnFreedPages() {
  for (size_t i = 0; i < 3; ++i) {
    saved_[i] = mi_option_get(kOptions[i]);
    mi_option_set(kOptions[i], kEager[i]);
  }
}

ReturnFreedPages::~ReturnFreedPages() {
  mi_collect(true);
  for (size_t i = 0; i < 3; ++i) mi_option_set(kOptions[i], saved_[i]);
}
#else
ReturnFreedPages::ReturnFreedPages() = default;
ReturnFreedPages::~ReturnFreedPages() {
  malloc_trim(0);
}
#endif

const char* allocatorName() {
#ifdef LB_MIMALLOC
  return "mimalloc";
#else
  return "glibc";
#endif
}

}  // namespace bridge::memory
