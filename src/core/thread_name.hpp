// Names the calling thread, so `top -H`, `ps -L` and /proc/PID/task/*/comm tell the server's
// threads apart on a bad day: spool-writer, spool-reader, spool-io, spool-checkpt,
// spool-push, spool-callback.
#pragma once

#include <string_view>

namespace spool {

// Linux keeps at most 15 characters; a longer name is cut there. Best effort: a failure only
// leaves the thread with its inherited name.
void name_this_thread(std::string_view name);

}  // namespace spool
