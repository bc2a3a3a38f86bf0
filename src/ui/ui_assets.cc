#include "ui/ui_assets.h"

namespace otelbpf::ui {

const Asset* FindAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const Asset& a : Assets())  // a handful of files: a linear scan is the simplest
    if (a.path == path) return &a;
  return nullptr;
}

}  // namespace otelbpf::ui
