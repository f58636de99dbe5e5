#include "core/thread_name.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace spool {
namespace {

std::string name_of_this_thread() {
  char buf[32] = {};
  ::pthread_getname_np(::pthread_self(), buf, sizeof buf);
  return buf;
}

TEST(ThreadNameTest, ANameIsSetAndALongOneIsCutAtLinuxsFifteenCharacters) {
  std::string short_name, long_name;
  std::thread([&] {
    name_this_thread("spool-writer");
    short_name = name_of_this_thread();
    name_this_thread("spool-a-name-far-too-long");
    long_name = name_of_this_thread();
  }).join();
  EXPECT_EQ(short_name, "spool-writer");
  EXPECT_EQ(long_name, "spool-a-name-fa");
}

}  // namespace
}  // namespace spool
