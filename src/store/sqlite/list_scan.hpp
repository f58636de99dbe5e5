// The SQL of list_jobs' scan: which index a filter walks in seq order, and which of its
// predicates are only checked on the rows walked. Pure functions; no threading concerns.
//
// Why a scan with a budget: the jobs indexes are few on purpose (each one costs every enqueue,
// issue 14), so only some filters have an index that yields their rows in seq order:
// none (the table itself), a tag (job_tags, kept by triggers), state, type, and queue + state
// (jobs_by_state, jobs_by_type, jobs_by_queue; every index ends in seq). Any other filter (a
// dedupe_key, a queue without a state, type + queue, ...) walks the best of those and checks
// the rest per row. The walk stops after ReadBounds::list_scan_rows rows whatever it found
// (LIMIT, and no ORDER BY that needs a sort), so a rare match among millions of jobs costs one
// bounded step per page, and the client follows next_cursor. Rows walked select only seq, id
// and the match flag; the matches' full rows are read by seq while the walk is still open (one
// snapshot).
#pragma once

#include <string>

namespace spool::store::sqlite {

// Which predicates a list_jobs filter sets, and where it starts.
struct ListScanShape {
  bool state = false;
  bool type = false;
  bool queue = false;
  bool dedupe_key = false;
  int tags = 0;                   // tags asked for (all must match): 0..ops::kMaxTagFilters
  bool cursor = false;            // continues from a seq (?6)
  bool cursor_inclusive = false;  // the seq itself is included (the cursor's job is gone)
  bool ascending = false;
};

// SELECT seq, id, <match> ... LIMIT ?7. Parameters: ?1 state, ?2 type id, ?3 queue id,
// ?4 dedupe_key, ?5 the first tag, ?6 cursor seq, ?7 the scan budget (rows walked at most),
// ?8 onwards the other tags, in order.
std::string list_scan_sql(const ListScanShape& shape);

}  // namespace spool::store::sqlite
