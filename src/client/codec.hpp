// The client library's JSON codecs: its request structs to the API's JSON, and the API's answers
// back to its structs. Pure functions on values; safe from any thread.
//
// Decoding is lenient about what it does not need (unknown fields are ignored, JobInfo keeps the
// raw object) and strict about what it does: a missing `id` in an answer is a "bad_response".
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "spool/client.hpp"
#include "spool/job.hpp"
#include "spool/result.hpp"

namespace spool::client {

// "2026-11-25T02:34:49.123Z"
std::string format_rfc3339(WallTime t);

boost::json::object encode_new_job(const NewJob& job);
boost::json::object encode_reserve(const ReserveRequest& request);
boost::json::object encode_failure(const Failure& failure);
std::string_view failure_kind_name(Failure::Kind kind);

Result<Enqueued> decode_enqueued(const boost::json::value& v);
Result<JobInfo> decode_job(const boost::json::value& v);
Result<JobPage> decode_page(const boost::json::value& v);
Result<ReservedJob> decode_reserved(const boost::json::value& v);
Result<Settled> decode_settled(const boost::json::value& v);
Result<Stats> decode_stats(const boost::json::value& v);

// An error answer (`{"error":{code,message,field}}`) or anything else with a non-2xx status.
Error decode_error(int http_status, std::string_view body);
Error bad_response(std::string what);

}  // namespace spool::client
