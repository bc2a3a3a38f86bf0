// The Prometheus scrape endpoint: a tiny HTTP/1.1 server on its own thread.
//
//   GET or HEAD /metrics  -> 200, text format 0.0.4 (prometheus_text.h) of every producer,
//                            gzip-compressed when the scraper accepts it (Prometheus does)
//   /metrics, other method -> 405;  any other path -> 404;  malformed -> 400;  head > 8 KiB -> 431
//
// One connection at a time, `Connection: close` after each response: Prometheus scrapes one
// target every few seconds at most, so a thread per client or keep-alive buys nothing here.
// Every wait is bounded (request head 5 s, response 10 s) and interrupted by Stop, so a stuck or
// hostile client can delay a scrape but never hang the agent's shutdown.
//
// otelbpf ignores its own process, so scrapes of this endpoint are never traced.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "export/prometheus/prometheus_config.h"
#include "metrics/metric_data.h"

namespace otelbpf::prometheus {

class PrometheusServer {
 public:
  using Clock = std::function<uint64_t()>;  // wall time, unix nanoseconds

  // Listens on config.host:config.port and starts serving. Throws std::runtime_error naming the
  // address and the cause when it cannot ("... address already in use ..."). `producers` must
  // outlive the server (or Stop must be called first).
  PrometheusServer(const PrometheusConfig& config, std::vector<metrics::MetricProducer*> producers,
                   Clock clock = nullptr);
  ~PrometheusServer();  // Stop()

  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // Stops serving and joins the thread; returns within milliseconds. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }                  // the bound port (useful after port 0)
  const std::string& address() const { return address_; }  // "127.0.0.1:9464"
  uint64_t scrapes() const { return scrapes_.load(std::memory_order_relaxed); }  // 200s served

 private:
  void Run();
  void Serve(int fd);
  std::string Scrape();

  std::vector<metrics::MetricProducer*> producers_;
  Clock clock_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: written by Stop to interrupt every wait of the thread
  uint16_t port_ = 0;
  std::string address_;
  std::atomic<uint64_t> scrapes_{0};
  std::thread thread_;
};

}  // namespace otelbpf::prometheus
