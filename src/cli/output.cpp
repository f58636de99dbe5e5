#include "cli/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <cstring>

#include "core/status.hpp"
#include "core/time_format.hpp"

namespace spool::cli {

Style Style::for_stdout() {
  Style style;
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  bool dumb = term != nullptr && std::strcmp(term, "dumb") == 0;
  style.colour =
      isatty(STDOUT_FILENO) == 1 && (no_colour == nullptr || *no_colour == '\0') && !dumb;
  return style;
}

std::string Style::paint(std::string_view text, Colour c) const {
  if (!colour || c == Colour::kNone || text.empty()) return std::string(text);
  const char* code = "";
  switch (c) {
    case Colour::kNone:
      break;
    case Colour::kDim:
      code = "2";
      break;
    case Colour::kBold:
      code = "1";
      break;
    case Colour::kRed:
      code = "31";
      break;
    case Colour::kGreen:
      code = "32";
      break;
    case Colour::kYellow:
      code = "33";
      break;
    case Colour::kBlue:
      code = "34";
      break;
    case Colour::kMagenta:
      code = "35";
      break;
    case Colour::kCyan:
      code = "36";
      break;
  }
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

Colour state_colour(std::string_view state) {
  if (state == "completed") return Colour::kGreen;
  if (state == "dead") return Colour::kRed;
  if (state == "retrying") return Colour::kYellow;
  if (state == "active") return Colour::kCyan;
  if (state == "scheduled") return Colour::kBlue;
  if (state == "cancelled") return Colour::kDim;
  return Colour::kNone;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string shorten(std::string_view text, std::size_t width) {
  std::string flat;
  flat.reserve(text.size());
  for (char c : text) flat.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  if (display_width(flat) <= width) return flat;
  if (width == 0) return {};
  // Keep width-1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t i = 0;
  for (; i < flat.size(); ++i) {
    if ((static_cast<unsigned char>(flat[i]) & 0xC0) != 0x80) {
      if (kept == width - 1) break;
      ++kept;
    }
  }
  flat.resize(i);
  return flat + "…";
}

void Table::add_row(std::vector<Cell> cells) {
  SPOOL_CHECK(cells.size() == columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render(const Style& style) const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = display_width(columns_[c].header);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], display_width(row[c].text));
  }
  std::string out;
  auto emit_line = [&](auto cell_text, auto cell_colour) {
    std::string line;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string& text = cell_text(c);
      std::size_t pad = widths[c] - display_width(text);
      bool last = c + 1 == columns_.size();
      if (c > 0) line += "  ";
      if (columns_[c].right_align) line.append(pad, ' ');
      line += style.paint(text, cell_colour(c));
      if (!columns_[c].right_align && !last) line.append(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  emit_line([&](std::size_t c) -> const std::string& { return columns_[c].header; },
            [](std::size_t) { return Colour::kBold; });
  for (const auto& row : rows_) {
    emit_line([&](std::size_t c) -> const std::string& { return row[c].text; },
              [&](std::size_t c) { return row[c].colour; });
  }
  return out;
}

std::string pretty_json(const boost::json::value& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (value.is_object()) {
    const auto& object = value.get_object();
    if (object.empty()) return "{}";
    std::string out = "{\n";
    bool first = true;
    for (const auto& member : object) {
      if (!first) out += ",\n";
      first = false;
      out += inner + boost::json::serialize(boost::json::string(member.key())) + ": " +
             pretty_json(member.value(), indent + 1);
    }
    return out + "\n" + pad + "}";
  }
  if (value.is_array()) {
    const auto& array = value.get_array();
    if (array.empty()) return "[]";
    std::string out = "[\n";
    bool first = true;
    for (const auto& element : array) {
      if (!first) out += ",\n";
      first = false;
      out += inner + pretty_json(element, indent + 1);
    }
    return out + "\n" + pad + "]";
  }
  return boost::json::serialize(value);
}

std::string short_time(std::string_view rfc3339) {
  std::optional<TimeMs> t = parse_rfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  std::string utc = format_rfc3339(*t);  // normalise offsets to Z
  // "YYYY-MM-DDTHH:MM:SS.mmmZ" -> "YYYY-MM-DD HH:MM:SS"
  if (utc.size() < 19) return utc;
  utc[10] = ' ';
  return utc.substr(0, 19);
}

std::string relative_time(std::string_view rfc3339, TimeMs now) {
  std::optional<TimeMs> t = parse_rfc3339(rfc3339);
  if (!t) return {};
  TimeMs delta = now - *t;
  bool past = delta >= 0;
  TimeMs magnitude = past ? delta : -delta;
  // Round down to one unit so "2h" reads as 2h, not "2h 13m 4.2s".
  std::string amount;
  if (magnitude < 1'000) {
    return past ? "just now" : "in under a second";
  } else if (magnitude < 60'000) {
    amount = std::to_string(magnitude / 1'000) + "s";
  } else if (magnitude < 3'600'000) {
    amount = std::to_string(magnitude / 60'000) + "m";
  } else if (magnitude < 86'400'000) {
    amount = std::to_string(magnitude / 3'600'000) + "h";
  } else {
    amount = std::to_string(magnitude / 86'400'000) + "d";
  }
  return past ? amount + " ago" : "in " + amount;
}

const boost::json::value* json_find(const boost::json::value& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  return object.get_object().if_contains(key);
}

std::string json_string(const boost::json::value& object, std::string_view key) {
  const boost::json::value* v = json_find(object, key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

std::int64_t json_int(const boost::json::value& object, std::string_view key) {
  const boost::json::value* v = json_find(object, key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

}  // namespace spool::cli
