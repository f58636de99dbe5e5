#include "core/thread_name.hpp"

#include <pthread.h>

#include <string>

namespace spool {

void name_this_thread(std::string_view name) {
  constexpr std::size_t kLinuxLimit = 15;  // 16 bytes with the terminating NUL
  std::string cut(name.substr(0, kLinuxLimit));
  ::pthread_setname_np(::pthread_self(), cut.c_str());
}

}  // namespace spool
