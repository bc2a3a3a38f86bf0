#include "ui/ui_server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "ui/reader_pool.h"
#include "ui/ui_api.h"
#include "ui/ui_assets.h"
#include "ui/ui_auth.h"
#include "ui/ui_json.h"

#ifndef OTELBPF_VERSION
#define OTELBPF_VERSION "dev"
#endif

namespace otelbpf::ui {
namespace {

uint64_t SystemNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The UI's threads give way to capture on a busy machine: a slow page is fine, a ring buffer
// that overflows while a page renders is not. Linux applies nice per thread.
void LowerThisThreadsPriority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
}

// The query part of the raw request target, in order (httplib's params are a multimap, which
// loses the order `not` depends on).
QueryParams OrderedParams(const httplib::Request& req) {
  const size_t q = req.target.find('?');
  return q == std::string::npos ? QueryParams{} : ParseQueryString(req.target.substr(q + 1));
}

void Reply(httplib::Response& res, const ApiResponse& api) {
  res.status = api.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(api.body, "application/json");
}

}  // namespace

struct UiServer::Impl {
  UiServerOptions options;
  ReaderPool readers;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  explicit Impl(UiServerOptions o)
      : options(std::move(o)), readers(options.store_path, options.reuse_connections) {
    if (!options.now_ns) options.now_ns = SystemNowNs;
  }

  // Runs an endpoint on a store connection; a store that cannot be read is the server's
  // problem (503), not the request's.
  template <typename Endpoint>
  void Api(httplib::Response& res, Endpoint&& endpoint) {
    if (options.store_path.empty()) {
      Reply(res,
            {503, ErrorJson("the agent runs without a store (--store none): nothing to show")});
      return;
    }
    try {
      ReaderPool::Lease lease = readers.Acquire();
      Reply(res, endpoint(lease.db()));
    } catch (const std::exception& e) {
      Reply(res, {503, ErrorJson(std::string("reading the store failed: ") + e.what())});
    }
  }

  httplib::Server::HandlerResponse Admit(const httplib::Request& req, httplib::Response& res) {
    LowerThisThreadsPriority();
    if (options.token.empty()) {
      if (!HostIsLoopback(req.get_header_value("Host"))) {
        res.status = 403;
        res.set_content(ErrorJson("this UI answers requests for localhost only"),
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const std::string query_token = req.has_param("token") ? req.get_param_value("token") : "";
    switch (CheckToken(options.token, req.get_header_value("Authorization"),
                       req.get_header_value("Cookie"), query_token)) {
      case AuthVerdict::kAllowed:
        return httplib::Server::HandlerResponse::Unhandled;
      case AuthVerdict::kAllowedSetCookie:
        res.set_header("Set-Cookie", TokenCookie(options.token));
        if (req.path.rfind("/api/", 0) != 0) {
          // A page opened with ?token=: the cookie carries it from now on, and the address bar
          // (history, screenshots) loses it.
          res.set_redirect(req.path, 303);
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      case AuthVerdict::kDenied:
        break;
    }
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"otelbpf\"");
    res.set_content(ErrorJson("a token is needed: Authorization: Bearer TOKEN, or open the page "
                              "once with ?token=TOKEN"),
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }

  void Routes() {
    server.new_task_queue = [n = options.threads] {
      return new httplib::ThreadPool(static_cast<size_t>(n));
    };
    // httplib sets SO_REUSEPORT by default, which would let a second agent bind the same port
    // and silently share it; SO_REUSEADDR alone makes a busy port an error we can report.
    server.set_socket_options([](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server.set_keep_alive_timeout(2);
    server.set_read_timeout(5);
    server.set_payload_max_length(64 * 1024);  // GETs only: nothing large is ever posted
    // Scripts and styles come from this server only (no inline script, no CDN), and no other
    // site may frame the page.
    server.set_default_headers({
        {"Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
    });
    server.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return Admit(req, res); });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "internal error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          Reply(res, {500, ErrorJson(what)});
        });

    server.Get("/api/spans", [this](const httplib::Request& req, httplib::Response& res) {
      Api(res,
          [&](store::Database& db) { return SpansApi(db, OrderedParams(req), options.now_ns()); });
    });
    server.Get("/api/trace/([^/]*)", [this](const httplib::Request& req, httplib::Response& res) {
      Api(res, [&](store::Database& db) { return TraceApi(db, req.matches[1]); });
    });
    server.Get("/api/stats", [this](const httplib::Request& req, httplib::Response& res) {
      Api(res,
          [&](store::Database& db) { return StatsApi(db, OrderedParams(req), options.now_ns()); });
    });
    server.Get("/api/map", [this](const httplib::Request& req, httplib::Response& res) {
      Api(res,
          [&](store::Database& db) { return MapApi(db, OrderedParams(req), options.now_ns()); });
    });
    server.Get("/api/overview", [this](const httplib::Request& req, httplib::Response& res) {
      Api(res, [&](store::Database& db) {
        return OverviewApi(db, OrderedParams(req), options.now_ns());
      });
    });
    server.Get("/api/events", [this](const httplib::Request& req, httplib::Response& res) {
      Api(res,
          [&](store::Database& db) { return EventsApi(db, OrderedParams(req), options.now_ns()); });
    });
    server.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
      const nlohmann::json status = {
          {"version", OTELBPF_VERSION},
          {"store", options.store_path.empty() ? "none" : options.store_path},
          {"now_ns", options.now_ns()}};
      Reply(res, {200, status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    });
    server.Get("/api/.*", [](const httplib::Request& req, httplib::Response& res) {
      Reply(res, {404, ErrorJson("no such API: " + req.path)});
    });
    server.Get("/.*", [](const httplib::Request& req, httplib::Response& res) {
      const Asset* asset = FindAsset(req.path);
      if (!asset) {
        res.status = 404;
        res.set_content("not found\n", "text/plain");
        return;
      }
      // The pages change only with the binary; revalidating costs nothing on loopback.
      res.set_header("Cache-Control", "no-cache");
      res.set_content(asset->data.data(), asset->data.size(), std::string(asset->content_type));
    });
  }
};

UiServer::UiServer(UiServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->Routes();
}

UiServer::~UiServer() { Stop(); }

bool UiServer::Start(std::string* error) {
  const UiAddress& a = impl_->options.address;
  errno = 0;
  if (a.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(a.host);
  } else if (impl_->server.bind_to_port(a.host, a.port)) {
    impl_->port = a.port;
  }
  if (impl_->port <= 0) {
    *error = "cannot listen on " + FormatUiAddress(a) + ": " +
             (errno ? std::strerror(errno) : "the address cannot be bound");
    return false;
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // Serving once this returns: port() is usable at once, and a Stop() right after cannot come
  // before httplib's loop starts (its stop() does nothing to a loop that has not started).
  for (int i = 0; i < 2000 && !impl_->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return true;
}

int UiServer::port() const { return impl_->port; }

void UiServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace otelbpf::ui
