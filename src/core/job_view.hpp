// The job view: the JSON of GET /v1/jobs/{id} and list entries, and the body of a completion
// callback (docs/push.md), so both modules that send it (http, push) write the same bytes.
// Written by hand with JsonWriter so stored JSON text (payload, result, progress) is spliced
// as-is. Pure functions; thread-safe. A new field => add it to docs/openapi.yaml.
#pragma once

#include <string>

#include "core/job.hpp"
#include "core/json_writer.hpp"

namespace spool {

void write_backoff_view(JsonWriter& w, const Backoff& backoff);
// Never includes the lease token.
void write_job_view(JsonWriter& w, const Job& job);
std::string encode_job_view(const Job& job);

}  // namespace spool
