// The heuristic template of a path no route pattern matched: segments that look like ids become
// a placeholder, so /users/8412/orders/5f1c9a2e-... and /users/77/orders/0b3d... share
// /users/{id}/orders/{id}. Deterministic, one pass over the path, no model and no state: the
// same path gives the same template in every agent, and the per-service cap
// (RouteOptions::max_templates_per_service) catches what the rules miss.
//
// A segment becomes the placeholder when it
//   - is all digits                                          /orders/42
//   - is a UUID (8-4-4-4-12 hex digits)                      /jobs/0b3d...-...
//   - is 16 or more hex digits with at least one digit       /blobs/5f1c9a2e77b04c1d (hashes,
//                                                            ObjectIds, 32-digit UUIDs)
//   - holds 3 or more digits, unless it is a version         /days/2024-05-01, /u/user123
//     (v1, v2.1.3: `v` then digits and dots)
//   - has a byte outside [A-Za-z0-9-_.~] (percent-encoded   /find/caf%C3%A9, /u/a@b.c
//     text, '@', ':', '=', '+', ',', ';', non-ASCII)
//   - is longer than 64 bytes, or is 16+ bytes of letters    /d/CfMkAGbE_aivhFydEpaRafPuG
//     whose case flips at least once every three letters
//     (base64-ish tokens; camelCase words flip far less)
// and is kept otherwise: words, versions (v1), short mixed tokens (oauth2, s3, ipv6), file names
// without ids (logo.png). Empty segments are kept (//), and so is a trailing slash. Beyond 16
// segments the rest becomes one "/**".
#pragma once

#include <string>
#include <string_view>

namespace otelbpf::routes {

inline constexpr size_t kMaxTemplateSegments = 16;

// Whether one path segment looks like an id (the rules above).
bool LooksLikeId(std::string_view segment);

// The template of `path` (url.path: no query), id-like segments replaced by `placeholder`.
std::string HeuristicTemplate(std::string_view path, std::string_view placeholder = "{id}");

}  // namespace otelbpf::routes
