// Answer<T>: holds the answer of one engine call in the engine's unit tests (engine_test.cpp,
// schedule_test.cpp), which drive the engine without its writer thread. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "engine/engine.hpp"

namespace spool::engine {

template <typename T>
struct Answer {
  std::optional<StatusOr<T>> value;
  Callback<T> cb() {
    return [this](StatusOr<T> r) { value = std::move(r); };
  }
  bool ready() const { return value.has_value(); }
  const T& ok() const {
    EXPECT_TRUE(value.has_value()) << "no answer yet";
    EXPECT_TRUE(value->has_value()) << value->error().message();
    return **value;
  }
  StatusCode code() const {
    EXPECT_TRUE(value.has_value()) << "no answer yet";
    return value->has_value() ? StatusCode::kOk : value->error().code();
  }
};

}  // namespace spool::engine
