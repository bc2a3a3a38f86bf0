// The web UI's static files (src/ui/assets/), built into the binary by cmake/embed_assets.cmake
// so the agent serves them with nothing installed beside it and nothing fetched from a CDN.
// The table itself is generated (build/generated/ui_assets.cc).
#pragma once

#include <span>
#include <string_view>

namespace otelbpf::ui {

struct Asset {
  std::string_view path;          // "/index.html", "/app.js", ...
  std::string_view content_type;  // by extension, chosen when the table is generated
  std::string_view data;
};

// Every embedded file, sorted by path.
std::span<const Asset> Assets();

// The asset served at `path`; "/" is index.html. nullptr when there is none.
const Asset* FindAsset(std::string_view path);

}  // namespace otelbpf::ui
