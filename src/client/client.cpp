// spool::Client: a pool of keep-alive HttpConnections and the API's requests and answers.
#include "spool/client.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdlib>
#include <mutex>

#include "client/codec.hpp"
#include "transport/http_connection.hpp"

namespace spool {

namespace json = boost::json;
using transport::HttpConnection;

ClientOptions ClientOptions::from_env() {
  ClientOptions options;
  if (const char* url = std::getenv("SPOOL_URL"); url && *url) options.url = url;
  if (const char* token = std::getenv("SPOOL_TOKEN"); token && *token) options.token = token;
  return options;
}

struct Client::Impl {
  ClientOptions options;
  transport::Endpoint endpoint;
  std::mutex mutex;
  std::vector<std::unique_ptr<HttpConnection>> idle;  // guarded by mutex

  std::unique_ptr<HttpConnection> acquire() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        auto connection = std::move(idle.back());
        idle.pop_back();
        return connection;
      }
    }
    HttpConnection::Options o;
    o.connect_timeout = options.connect_timeout;
    o.request_timeout = options.request_timeout;
    o.token = options.token;
    o.user_agent = options.user_agent;
    return std::make_unique<HttpConnection>(endpoint, o);
  }

  void give_back(std::unique_ptr<HttpConnection> connection) {
    if (!connection->connected()) return;
    std::lock_guard lock(mutex);
    if (idle.size() < options.max_idle_connections) idle.push_back(std::move(connection));
  }

  Error transport_error(const transport::TransportError& e) const {
    const std::string& url = endpoint.display_url;
    switch (e.kind) {
      case transport::TransportFailure::kResolve:
        return {"connect_failed", "cannot resolve the host of " + url + ": " + e.detail, "", 0};
      case transport::TransportFailure::kRefused:
        return {"connect_failed", "cannot connect to " + url + ": " + e.detail, "", 0};
      case transport::TransportFailure::kTimeout:
        if (e.while_connecting) {
          return {"connect_failed", "cannot connect to " + url + ": timed out", "", 0};
        }
        return {"timeout", "no answer from " + url + " in time", "", 0};
      case transport::TransportFailure::kCancelled:
        return {"cancelled", "the request to " + url + " was cancelled", "", 0};
      case transport::TransportFailure::kBroken:
        break;
    }
    if (e.while_connecting) {
      return {"connect_failed", "cannot connect to " + url + ": " + e.detail, "", 0};
    }
    return {"connection_lost", "the connection to " + url + " broke: " + e.detail, "", 0};
  }

  // One request; the JSON answer of a 2xx, or the Error.
  Result<json::value> call(std::string_view method, std::string_view target,
                           const json::value* body, std::chrono::milliseconds extra_wait = {},
                           std::stop_token stop = {}) {
    std::string text = body ? json::serialize(*body) : std::string();
    auto connection = acquire();
    transport::HttpResponse response;
    transport::TransportError error;
    bool answered =
        connection->request(method, target, text, &response, &error, extra_wait, std::move(stop));
    if (!answered) return tl::unexpected(transport_error(error));
    give_back(std::move(connection));
    if (response.status < 200 || response.status >= 300) {
      return tl::unexpected(client::decode_error(response.status, response.body));
    }
    json::error_code ec;
    json::value v = json::parse(response.body, ec);
    if (ec) {
      return tl::unexpected(client::bad_response("HTTP " + std::to_string(response.status) +
                                                 " with a body that is "
                                                 "not JSON: " +
                                                 response.body.substr(0, 200)));
    }
    return v;
  }
};

namespace {

std::string path_segment(std::string_view id) {
  return boost::urls::encode(id, boost::urls::unreserved_chars);
}

std::string job_path(std::string_view id, std::string_view action = {}) {
  std::string path = "/v1/jobs/" + path_segment(id);
  if (!action.empty()) path += "/" + std::string(action);
  return path;
}

void add_query(std::string& target, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key;
  target += '=';
  target += boost::urls::encode(value, boost::urls::unreserved_chars);
}

template <typename T>
Result<T> then(Result<json::value> answer, Result<T> (*decode)(const json::value&)) {
  if (!answer) return tl::unexpected(answer.error());
  return decode(*answer);
}

}  // namespace

Result<Client> Client::create(ClientOptions options) {
  std::string why;
  auto endpoint = transport::parse_endpoint(options.url, &why);
  if (!endpoint) return tl::unexpected(Error{"invalid_argument", why, "url", 0});
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->endpoint = std::move(*endpoint);
  return Client(std::move(impl));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

const ClientOptions& Client::options() const { return impl_->options; }

Result<Enqueued> Client::enqueue(const NewJob& job) {
  json::value body = client::encode_new_job(job);
  return then(impl_->call("POST", "/v1/jobs", &body), &client::decode_enqueued);
}

Result<std::vector<Enqueued>> Client::enqueue_batch(std::span<const NewJob> jobs) {
  json::array items;
  items.reserve(jobs.size());
  for (const auto& job : jobs) items.emplace_back(client::encode_new_job(job));
  json::value body = json::object{{"jobs", std::move(items)}};
  auto answer = impl_->call("POST", "/v1/jobs/batch", &body);
  if (!answer) return tl::unexpected(answer.error());
  const json::value* list =
      answer->is_object() ? answer->get_object().if_contains("jobs") : nullptr;
  if (!list || !list->is_array() || list->get_array().size() != jobs.size()) {
    return tl::unexpected(client::bad_response("the batch answer does not list every job"));
  }
  std::vector<Enqueued> out;
  out.reserve(jobs.size());
  for (const auto& item : list->get_array()) {
    auto e = client::decode_enqueued(item);
    if (!e) return tl::unexpected(e.error());
    out.push_back(std::move(*e));
  }
  return out;
}

Result<JobInfo> Client::get(std::string_view id) {
  return then(impl_->call("GET", job_path(id), nullptr), &client::decode_job);
}

Result<JobPage> Client::list(const JobFilter& filter) {
  std::string target = "/v1/jobs";
  add_query(target, "state", filter.state);
  add_query(target, "type", filter.type);
  add_query(target, "queue", filter.queue);
  add_query(target, "tag", filter.tag);
  for (const std::string& tag : filter.tags) add_query(target, "tag", tag);
  add_query(target, "dedupe_key", filter.dedupe_key);
  add_query(target, "limit", std::to_string(filter.limit));
  add_query(target, "cursor", filter.cursor);
  add_query(target, "order", filter.oldest_first ? "asc" : "desc");
  return then(impl_->call("GET", target, nullptr), &client::decode_page);
}

Result<Settled> Client::cancel(std::string_view id) {
  return then(impl_->call("DELETE", job_path(id), nullptr), &client::decode_settled);
}

Result<Settled> Client::retry(std::string_view id) {
  json::value body = json::object{};
  return then(impl_->call("POST", job_path(id, "retry"), &body), &client::decode_settled);
}

Result<Stats> Client::stats() {
  return then(impl_->call("GET", "/v1/stats", nullptr), &client::decode_stats);
}

Result<std::vector<ReservedJob>> Client::reserve(const ReserveRequest& request,
                                                 std::stop_token stop) {
  json::value body = client::encode_reserve(request);
  auto answer = impl_->call("POST", "/v1/reserve", &body, request.wait, std::move(stop));
  if (!answer) return tl::unexpected(answer.error());
  const json::value* list =
      answer->is_object() ? answer->get_object().if_contains("jobs") : nullptr;
  if (!list || !list->is_array()) {
    return tl::unexpected(client::bad_response("the reserve answer has no jobs list"));
  }
  std::vector<ReservedJob> jobs;
  jobs.reserve(list->get_array().size());
  for (const auto& item : list->get_array()) {
    auto job = client::decode_reserved(item);
    if (!job) return tl::unexpected(job.error());
    if (job->lease_length.count() <= 0 && request.lease) job->lease_length = *request.lease;
    jobs.push_back(std::move(*job));
  }
  return jobs;
}

Result<Settled> Client::ack(std::string_view id, std::string_view lease,
                            std::optional<json::value> result) {
  json::object body{{"lease", lease}};
  if (result) body["result"] = std::move(*result);
  json::value v = std::move(body);
  return then(impl_->call("POST", job_path(id, "ack"), &v), &client::decode_settled);
}

Result<Settled> Client::fail(std::string_view id, std::string_view lease, const Failure& failure) {
  json::value v = json::object{{"lease", lease}, {"error", client::encode_failure(failure)}};
  return then(impl_->call("POST", job_path(id, "fail"), &v), &client::decode_settled);
}

Result<std::string> Client::extend(std::string_view id, std::string_view lease,
                                   std::optional<Millis> lease_length,
                                   std::optional<json::value> progress) {
  json::object body{{"lease", lease}};
  if (lease_length) body["lease_ms"] = lease_length->count();
  if (progress) body["progress"] = std::move(*progress);
  json::value v = std::move(body);
  auto answer = impl_->call("POST", job_path(id, "extend"), &v);
  if (!answer) return tl::unexpected(answer.error());
  const json::value* at =
      answer->is_object() ? answer->get_object().if_contains("lease_expires_at") : nullptr;
  if (!at || !at->is_string()) {
    return tl::unexpected(client::bad_response("the extend answer has no lease_expires_at"));
  }
  return std::string(at->get_string());
}

Result<std::vector<Result<Settled>>> Client::settle(std::span<const AckItem> acks,
                                                    std::span<const FailItem> fails) {
  json::array ack_list;
  for (const auto& a : acks) {
    json::object item{{"id", a.id}, {"lease", a.lease}};
    if (a.result) item["result"] = *a.result;
    ack_list.emplace_back(std::move(item));
  }
  json::array fail_list;
  for (const auto& f : fails) {
    fail_list.emplace_back(json::object{
        {"id", f.id}, {"lease", f.lease}, {"error", client::encode_failure(f.failure)}});
  }
  json::value body = json::object{{"ack", std::move(ack_list)}, {"fail", std::move(fail_list)}};
  auto answer = impl_->call("POST", "/v1/settle", &body);
  if (!answer) return tl::unexpected(answer.error());
  const json::value* list =
      answer->is_object() ? answer->get_object().if_contains("results") : nullptr;
  if (!list || !list->is_array() || list->get_array().size() != acks.size() + fails.size()) {
    return tl::unexpected(client::bad_response("the settle answer does not list every item"));
  }
  std::vector<Result<Settled>> out;
  out.reserve(list->get_array().size());
  for (const auto& item : list->get_array()) {
    const json::value* error = item.is_object() ? item.get_object().if_contains("error") : nullptr;
    if (error) {
      json::value wrapped = json::object{{"error", *error}};
      out.push_back(tl::unexpected(client::decode_error(0, json::serialize(wrapped))));
    } else {
      out.push_back(client::decode_settled(item));
    }
  }
  return out;
}

}  // namespace spool
