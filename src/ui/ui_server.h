// The web UI's HTTP server: the embedded pages (ui_assets.h) and the JSON API (ui_api.h) on
// cpp-httplib (Debian's libcpp-httplib), on its own threads so capture never waits on a page.
// The agent starts one after opening the store; tests and the benchmark start one in-process.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ui/ui_address.h"

namespace otelbpf::ui {

struct UiServerOptions {
  UiAddress address{"127.0.0.1", 9465};
  std::string token;       // "": no check (loopback only; ValidateUiSecurity enforces it)
  std::string store_path;  // "": the agent runs without a store, and the API says so (503)
  // Request threads: each holds a keep-alive connection while a browser keeps it open, so a
  // page's parallel requests need a few; they run at a lower CPU priority than capture.
  int threads = 6;
  bool reuse_connections = true;  // false: open the store per request (reader_pool.h)
  // The clock the API's windows are relative to (tests pin it); default: the system clock.
  std::function<uint64_t()> now_ns;
};

class UiServer {
 public:
  explicit UiServer(UiServerOptions options);
  ~UiServer();  // Stop()
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  // Binds and starts serving on a thread of its own. false with *error when the address cannot
  // be bound (a busy port, an address this host does not have).
  bool Start(std::string* error);
  // The bound port (the chosen one when the options asked for port 0).
  int port() const;
  // Stops accepting, finishes the requests in flight and joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;  // keeps httplib.h out of the agent's includes
  std::unique_ptr<Impl> impl_;
};

}  // namespace otelbpf::ui
