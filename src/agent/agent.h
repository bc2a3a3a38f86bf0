// `otelbpf run`: wires capture → connection tracking → HTTP/1 → spans → sinks and runs the
// capture loop until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "capture/bpf_capture.h"
#include "export/console/console_printer.h"
#include "metrics/attribute_selection.h"
#include "routes/route_options.h"

namespace otelbpf {

struct AgentOptions {
  CaptureOptions capture;
  std::vector<uint32_t> pids;
  std::vector<std::string> exe_globs;    // fnmatch patterns on the executable path or name
  std::vector<std::string> container_ids;  // --container: ids or 12+ digit prefixes
  std::vector<std::string> cgroup_paths;   // --cgroup: a cgroup and everything below it
  std::optional<ConsoleFormat> console;  // unset: text unless OTLP export is configured
  bool console_disabled = false;         // --output none
  size_t max_connections = 65536;
  // Prometheus endpoint: on unless --prometheus=false or OTEL_METRICS_EXPORTER leaves it out.
  bool prometheus = true;
  bool stitch_same_host = true;  // --stitch-same-host
  bool tls = true;               // --tls: OpenSSL uprobes (TLS plaintext)
  // --trace-sdk-processes: also emit spans of processes that export their own traces.
  bool trace_sdk_processes = false;
  // HTTP routes, ignored paths and unmatched templates (docs/configuration.md, "Routes"); the
  // defaults give heuristic templates in url.template and ignore nothing.
  routes::RouteOptions routes;
  // attributes.select: the attributes each metric reports (metrics/attribute_selection.h).
  metrics::AttributeSelections attribute_select;
  int poll_interval_ms = 5;
  // Processes selected by their pod (needs the Kubernetes metadata): the config file's
  // discovery.instrument[] entries that name Kubernetes metadata (OBI's k8s_namespace and
  // k8s_pod_labels, globs; all that are set must match) and one entry from the --k8s-* flags.
  // A process matching any entry is watched, like --exe and --container.
  struct KubernetesSelector {
    std::string namespace_glob;
    std::map<std::string, std::string> pod_labels;
    std::string deployment_glob;  // --k8s-deployment: "name" or "namespace/name"
  };
  std::vector<KubernetesSelector> kubernetes_selectors;
  // Kubernetes metadata from the API server (src/kubernetes): "auto" watches when otelbpf runs
  // in a pod (KUBERNETES_SERVICE_HOST) or --kubeconfig is given, "true" always (an error
  // without an API server configuration), "false" never.
  struct Kubernetes {
    std::string mode = "auto";
    std::string node;        // --k8s-node; else NODE_NAME, else the host name
    std::string kubeconfig;  // --kubeconfig; else the service account, else KUBECONFIG
    std::string context;     // --k8s-context
    bool well_known_labels = false;  // app.kubernetes.io/* labels name services (opt-in)
    // --k8s-namespace, --k8s-pod-label KEY=GLOB, --k8s-deployment: one more selector entry,
    // every list given must match (a namespace of the list, all labels, a deployment).
    std::vector<std::string> namespaces, pod_labels, deployments;
  } kubernetes;
  // The embedded store (src/store) that `otelbpf observe`, `stats`, `map` and `trace` read.
  struct Store {
    // "" : the default file (/var/lib/otelbpf/otelbpf.db), and a store that cannot be opened
    // there is a warning; a path given by the user must open (an error otherwise); "none": off.
    std::string path;
    int64_t max_mb = 256;
    std::chrono::milliseconds retention = std::chrono::hours(24);
    int64_t max_spans_per_second = 2000;  // beyond it whole traces are sampled; 0: no limit
  } store;
  // The web UI (src/ui, docs/ui.md) that shows the store.
  struct Ui {
    // "": the default 127.0.0.1:9465, and a busy port there is a warning; ADDR:PORT given by
    // the user must be served (an error otherwise); "none": off.
    std::string address;
    // Needed for an address other hosts can reach; then checked on every request.
    std::string token;
  } ui;
};

// Returns the process exit code. Prints its own errors.
int RunAgent(const AgentOptions& options);


}  // namespace otelbpf
