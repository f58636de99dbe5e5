#include "http/raw_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <string>

namespace spool::http {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view text, std::size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

// `i` is at an opening quote; answers the index just past the closing one.
std::size_t skip_string(std::string_view text, std::size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

// `i` is at the first byte of a value; answers the index just past it.
std::size_t skip_value(std::string_view text, std::size_t i) {
  if (i >= text.size()) return i;
  char c = text[i];
  if (c == '"') return skip_string(text, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < text.size()) {
      char d = text[i];
      if (d == '"') {
        i = skip_string(text, i);
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < text.size() && !is_space(text[i]) && text[i] != ',' && text[i] != '}' &&
         text[i] != ']') {
    ++i;
  }
  return i;
}

// The key as the parsed document has it: escapes ("pay\u006coad") decoded.
bool key_equals(std::string_view quoted, std::string_view key) {
  std::string_view inner = quoted.substr(1, quoted.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return inner == key;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(quoted, ec);
  return !ec && v.is_string() && std::string_view(v.get_string()) == key;
}

}  // namespace

std::vector<std::string_view> raw_elements(std::string_view array_text) {
  std::vector<std::string_view> out;
  std::size_t i = skip_space(array_text, 0);
  if (i >= array_text.size() || array_text[i] != '[') return out;
  i = skip_space(array_text, i + 1);
  while (i < array_text.size() && array_text[i] != ']') {
    std::size_t end = skip_value(array_text, i);
    out.push_back(array_text.substr(i, end - i));
    i = skip_space(array_text, end);
    if (i < array_text.size() && array_text[i] == ',') i = skip_space(array_text, i + 1);
  }
  return out;
}

std::optional<std::string_view> raw_member(std::string_view object_text, std::string_view key) {
  std::optional<std::string_view> found;
  std::size_t i = skip_space(object_text, 0);
  if (i >= object_text.size() || object_text[i] != '{') return found;
  i = skip_space(object_text, i + 1);
  while (i < object_text.size() && object_text[i] == '"') {
    std::size_t key_end = skip_string(object_text, i);
    bool match = key_equals(object_text.substr(i, key_end - i), key);
    i = skip_space(object_text, key_end);
    if (i < object_text.size() && object_text[i] == ':') ++i;
    i = skip_space(object_text, i);
    std::size_t value_end = skip_value(object_text, i);
    if (match) found = object_text.substr(i, value_end - i);
    i = skip_space(object_text, value_end);
    if (i < object_text.size() && object_text[i] == ',') i = skip_space(object_text, i + 1);
  }
  return found;
}

}  // namespace spool::http
