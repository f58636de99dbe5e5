// CronExpression::parse: the cron grammar documented in cron.hpp, and its error messages.
#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include "core/cron.hpp"

namespace spool {
namespace {

// One of the six fields, in the order of the 6-field form.
struct FieldSpec {
  const char* name;          // as the error message says it: "day of week"
  int min;                   // smallest value
  int max;                   // largest value * and N/S run to
  int max_written;           // largest value one may write: 7 (Sunday) in day of week, else max
  const char* expected;      // the values, for messages: "0-7 or SUN-SAT"
  const char* const* names;  // three-letter names for min, min+1, ...; or nullptr
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

enum Field { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek, kFieldCount };

constexpr std::array<FieldSpec, kFieldCount> kFields = {{
    {"second", 0, 59, 59, "0-59", nullptr},
    {"minute", 0, 59, 59, "0-59", nullptr},
    {"hour", 0, 23, 23, "0-23", nullptr},
    {"day of month", 1, 31, 31, "1-31 or L", nullptr},
    {"month", 1, 12, 12, "1-12 or JAN-DEC", kMonthNames},
    {"day of week", 0, 6, 7, "0-7 or SUN-SAT", kWeekdayNames},
}};

struct Macro {
  const char* name;
  const char* fields;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

char to_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_upper(x) == to_upper(y);
         });
}

bool contains_any(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

// The text as a message shows it: quoted, cut short, and with anything unprintable escaped, so a
// hostile or binary expression cannot garble a log line or a JSON error.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMaxShown = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == kMaxShown) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += '"';
  return out;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  std::vector<std::string_view> fields;
  std::size_t pos = text.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    std::size_t end = std::min(text.find_first_of(kSpace, pos), text.size());
    fields.push_back(text.substr(pos, end - pos));
    pos = text.find_first_not_of(kSpace, end);
  }
  return fields;
}

struct FieldValue {
  std::uint64_t bits = 0;
  bool last_day = false;   // L, day of month only
  bool restricted = true;  // false when the field starts with * or ?
};

// Parses one field's text; every error names the field and shows its text.
class FieldParser {
 public:
  FieldParser(std::string_view expression, int number, Field field, std::string_view text)
      : expression_(expression),
        number_(number),
        field_(field),
        spec_(kFields[field]),
        text_(text) {}

  StatusOr<FieldValue> parse() {
    FieldValue value;
    value.restricted = text_[0] != '*' && text_[0] != '?';
    if (text_ == "?") {
      if (field_ != kDayOfMonth && field_ != kDayOfWeek) {
        return fail("? is only allowed in day of month and day of week; use * here");
      }
      value.bits = range_bits(spec_.min, spec_.max, 1);
      return value;
    }
    std::size_t item_number = 1;
    for (std::size_t start = 0;; ++item_number) {
      const std::size_t comma = std::min(text_.find(',', start), text_.size());
      const std::string_view item = text_.substr(start, comma - start);
      if (item.empty()) {
        return fail("list item " + std::to_string(item_number) + " is empty; " + expected());
      }
      if (auto ok = parse_item(item, value); !ok) return tl::unexpected(ok.error());
      if (comma == text_.size()) break;
      start = comma + 1;
    }
    return value;
  }

 private:
  // Adds one list item ("5", "1-5", "*/15", "10-50/10", "5/10", "MON-FRI", "L") to `value`.
  StatusOr<void> parse_item(std::string_view item, FieldValue& value) {
    if (field_ == kDayOfMonth && equals_ignoring_case(item, "L")) {
      value.last_day = true;
      return {};
    }
    const std::size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    int lo = 0;
    int hi = 0;
    if (base == "*") {
      lo = spec_.min;
      hi = spec_.max;
    } else if (const std::size_t dash = base.find('-'); dash != std::string_view::npos) {
      const std::string_view to_text = base.substr(dash + 1);
      auto from = parse_value(base.substr(0, dash));
      auto to = parse_value(to_text);
      if (!from || !to) return unrecognised(item);
      lo = *from;
      hi = *to;
      // "FRI-SUN" runs to the end of the week, where SUN is 7; "SUN-SUN" stays one day.
      if (field_ == kDayOfWeek && hi == 0 && lo > 0 && equals_ignoring_case(to_text, "SUN")) {
        hi = 7;
      }
      if (lo > hi) {
        std::string message = "the range " + std::string(base) +
                              " is reversed: expected low-high, such as " + std::to_string(hi) +
                              "-" + std::to_string(lo);
        if (field_ == kDayOfWeek && hi == 0) message += " (Sunday is 7 at the end of a range)";
        return fail(message);
      }
    } else {
      auto single = parse_value(base);
      if (!single) return unrecognised(item);
      lo = *single;
      // "5/10" runs from 5 to the field's maximum.
      hi = slash == std::string_view::npos ? lo : std::max(lo, spec_.max);
    }
    int step = 1;
    if (slash != std::string_view::npos) {
      const int max_step = spec_.max - spec_.min + 1;
      const std::string_view step_text = item.substr(slash + 1);
      auto parsed = parse_number(step_text);
      if (!parsed) return unrecognised(item);
      if (*parsed < 1 || *parsed > max_step) {
        return fail("the step must be between 1 and " + std::to_string(max_step) + ", got " +
                    std::string(step_text));
      }
      step = *parsed;
    }
    value.bits |= range_bits(lo, hi, step);
    return {};
  }

  // A number or a name within the field's bounds.
  std::optional<int> parse_value(std::string_view text) const {
    std::optional<int> value = parse_number(text);
    if (!value && spec_.names != nullptr) {
      const int count = spec_.max - spec_.min + 1;
      for (int i = 0; i < count; ++i) {
        if (equals_ignoring_case(text, spec_.names[i])) value = spec_.min + i;
      }
    }
    if (!value || *value < spec_.min || *value > spec_.max_written) return std::nullopt;
    return value;
  }

  // Digits only; big numbers saturate so that they fail the bounds check instead of wrapping.
  static std::optional<int> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    int value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      value = std::min(value * 10 + (c - '0'), 100000);
    }
    return value;
  }

  std::uint64_t range_bits(int lo, int hi, int step) const {
    std::uint64_t bits = 0;
    for (int v = lo; v <= hi; v += step) {
      bits |= std::uint64_t{1} << (field_ == kDayOfWeek && v == 7 ? 0 : v);
    }
    return bits;
  }

  // An item that is not in the grammar; the extensions other crons have get their own message.
  tl::unexpected<Status> unrecognised(std::string_view item) const {
    if (contains_any(item, "#")) {
      return fail("the nth-weekday form (#) is not supported; " + expected());
    }
    // Quartz-style forms: "15W", "LW", "L-3", "5L". Only items made of digits and these letters
    // get the hint, so that "@daily" in a field is not mistaken for one.
    const bool quartz_like = item.find_first_not_of("0123456789LlWw-/") == std::string_view::npos;
    if (quartz_like && field_ == kDayOfMonth && contains_any(item, "Ww")) {
      return fail("the nearest-weekday form (W) is not supported; " + expected());
    }
    if (quartz_like && field_ == kDayOfMonth && contains_any(item, "Ll")) {
      return fail("only a plain L (the last day of the month) is supported; " + expected());
    }
    if (quartz_like && field_ == kDayOfWeek && contains_any(item, "Ll")) {
      return fail("L is only supported in day of month, as a plain L; " + expected());
    }
    if (contains_any(item, "?")) {
      if (field_ != kDayOfMonth && field_ != kDayOfWeek) {
        return fail("? is only allowed in day of month and day of week; use * here");
      }
      return fail("? stands alone, meaning *; " + expected());
    }
    return fail(expected());
  }

  std::string expected() const {
    return std::string("expected ") + spec_.expected + ", with lists (,), ranges (-) and steps (/)";
  }

  tl::unexpected<Status> fail(const std::string& detail) const {
    return invalid("cron", "cron " + quoted(expression_) + ": field " + std::to_string(number_) +
                               " (" + spec_.name + ") is " + quoted(text_) + ": " + detail);
  }

  std::string_view expression_;
  int number_;  // 1-based position in the expression, as the user counts
  Field field_;
  const FieldSpec& spec_;
  std::string_view text_;
};

}  // namespace

StatusOr<CronExpression> CronExpression::parse(std::string_view text) {
  const std::vector<std::string_view> fields = split_fields(text);
  if (!fields.empty() && fields[0][0] == '@') {
    for (const Macro& macro : kMacros) {
      if (!equals_ignoring_case(fields[0], macro.name)) continue;
      if (fields.size() > 1) {
        return invalid("cron", "cron " + quoted(text) + ": a macro stands alone, but " +
                                   quoted(fields[0]) + " is followed by " + quoted(fields[1]));
      }
      auto expression = parse(macro.fields);
      SPOOL_CHECK(expression.has_value());
      expression->text_ = std::string(text);
      return expression;
    }
    return invalid("cron", "cron " + quoted(text) + ": unknown macro " + quoted(fields[0]) +
                               ": expected @yearly, @annually, @monthly, @weekly, @daily, "
                               "@midnight or @hourly");
  }
  if (fields.size() != 5 && fields.size() != 6) {
    return invalid("cron", "cron " + quoted(text) +
                               ": expected 5 fields (minute hour day-of-month month day-of-week) "
                               "or 6 with seconds first, got " +
                               std::to_string(fields.size()));
  }
  CronExpression expression;
  expression.text_ = std::string(text);
  expression.seconds_ = 1;  // the 5-field form fires at second 0
  const int first = fields.size() == 6 ? kSecond : kMinute;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto field = static_cast<Field>(first + static_cast<int>(i));
    auto value = FieldParser(text, static_cast<int>(i) + 1, field, fields[i]).parse();
    if (!value) return tl::unexpected(value.error());
    switch (field) {
      case kSecond:
        expression.seconds_ = value->bits;
        break;
      case kMinute:
        expression.minutes_ = value->bits;
        break;
      case kHour:
        expression.hours_ = static_cast<std::uint32_t>(value->bits);
        break;
      case kDayOfMonth:
        expression.days_of_month_ = static_cast<std::uint32_t>(value->bits);
        expression.last_day_of_month_ = value->last_day;
        expression.day_of_month_restricted_ = value->restricted;
        break;
      case kMonth:
        expression.months_ = static_cast<std::uint16_t>(value->bits);
        break;
      case kDayOfWeek:
        expression.days_of_week_ = static_cast<std::uint8_t>(value->bits);
        expression.day_of_week_restricted_ = value->restricted;
        break;
      case kFieldCount:
        break;
    }
  }
  return expression;
}

}  // namespace spool
