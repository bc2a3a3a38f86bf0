// MetricsSnapshot -> Prometheus text exposition format 0.0.4, following the OTel "Prometheus and
// OpenMetrics Compatibility" specification for an endpoint that serves several resources (like
// the Collector's Prometheus exporter, since otelbpf reports for many processes):
//
//  - every sample carries `job` (service.namespace/service.name, or service.name) and
//    `instance` (service.instance.id, or host.name:process.pid) so services and processes stay
//    apart;
//  - one `target_info` gauge (value 1) per job/instance holds all resource attributes;
//  - names: see prometheus_naming.h; histograms as _bucket{le=...}/_sum/_count;
//  - one HELP and TYPE per family, all of a family's samples together, even when several
//    resources or producers report the same metric. A metric whose family already exists with
//    another type (or whose sample names another family already uses) is dropped: two TYPE lines
//    for one name would make the whole scrape fail;
//  - a point whose labels repeat an earlier point of the same family is dropped, for the same
//    reason;
//  - point attributes named like a label this format sets (job, instance, le) are renamed
//    exported_<name>, as Prometheus itself does on scrape.
#pragma once

#include <string>
#include <string_view>

#include "export/prometheus/prometheus_naming.h"
#include "metrics/metric_data.h"

namespace otelbpf::prometheus {

inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// The job and instance labels of a resource; a label whose value would be empty is left out (an
// empty label is an absent label in Prometheus). Empty for a null resource.
Labels TargetLabels(const Resource* resource);

// Pure: the same snapshot always gives the same text.
std::string FormatPrometheusText(const metrics::MetricsSnapshot& snapshot);

}  // namespace otelbpf::prometheus
