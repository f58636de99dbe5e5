#include "http/static_files.hpp"

namespace spool::http {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

const StaticFile* find_static_file(std::string_view path) {
  // A handful of files: a linear scan is as fast as any index.
  for (std::size_t i = 0; i < ui_assets::kFileCount; ++i) {
    if (ui_assets::kFiles[i].path == path) return &ui_assets::kFiles[i];
  }
  return nullptr;
}

std::string_view static_content_type(std::string_view path) {
  struct Type {
    std::string_view suffix, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& t : kTypes) {
    if (ends_with(path, t.suffix)) return t.type;
  }
  return "application/octet-stream";
}

std::string_view static_cache_control(std::string_view path) {
  if (path.substr(0, 8) == "/assets/") return "public, max-age=31536000, immutable";
  return "no-cache";
}

}  // namespace spool::http
