// FaultInjectingStore: a Store decorator that fails on demand, for tests of what the rest of
// the server does when its store breaks (readiness going 503 and back, callers answered 503).
// Test seam only: `spool serve` wraps its store in one solely when the undocumented
// SPOOL_TEST_STORE_FAULT_FILE environment variable is set (cli/serve.cpp).
//
// While `failing()` answers true, every call that reaches the storage (begin, commit, writes,
// reads, the due-time reads, ping, open_reader) answers kUnavailable with an "injected fault"
// message; rollback() and the in-memory queue_config pass through, and maintenance() is
// skipped. When it answers false again, calls pass through untouched. The readers it opens are
// guarded the same way, so a reader thread's reads fail with the store's.
//
// Ownership: owns the wrapped store, and each reader owns the inner reader it wraps. Threading:
// as any Store and StoreReader; `failing` is called on the writer thread and on reader threads,
// so it must be cheap and thread-safe with whoever flips it.
#pragma once

#include <functional>
#include <memory>

#include "store/store.hpp"

namespace spool::store {

std::unique_ptr<Store> inject_faults(std::unique_ptr<Store> inner, std::function<bool()> failing);

}  // namespace spool::store
