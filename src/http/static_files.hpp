// The dashboard's files (ui/dist), compiled into the binary by cmake/embed_ui.cmake, and how
// they are served: content type by extension, caching by name (Vite puts content-hashed names
// under /assets/, which never change, so those are cached for a year; index.html is always
// revalidated so a new binary's dashboard is seen at once).
//
// The table is immutable static data: any thread may read it. Change the StaticFile struct =>
// change the generator (cmake/embed_ui.cmake) with it.
#pragma once

#include <cstddef>
#include <string_view>

namespace spool::http {

struct StaticFile {
  std::string_view path;  // "/index.html", "/assets/index-3f2a.js"
  const unsigned char* data;
  std::size_t size;
};

namespace ui_assets {
// Defined in the generated ui_assets.cpp.
extern const StaticFile* const kFiles;
extern const std::size_t kFileCount;
extern const bool kDashboardBuilt;  // false: only a page saying the dashboard was not built
}  // namespace ui_assets

// The embedded file at `path` ("/index.html"), or null.
const StaticFile* find_static_file(std::string_view path);

// "text/html; charset=utf-8", "text/javascript; charset=utf-8", ...; octet-stream when unknown.
std::string_view static_content_type(std::string_view path);

// "public, max-age=31536000, immutable" under /assets/, "no-cache" otherwise.
std::string_view static_cache_control(std::string_view path);

}  // namespace spool::http
