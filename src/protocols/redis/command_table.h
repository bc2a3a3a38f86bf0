// What the Redis parser needs to know about commands, from the Redis command reference
// (redis.io/commands; the `key_specs` and container commands of src/commands/*.json):
// which names are commands, which take a subcommand ("CONFIG GET"), and where their keys are.
#pragma once

#include <string_view>

namespace otelbpf::redis {

// Where a command's keys are among its arguments (after the subcommand, for containers).
enum class KeyLayout : unsigned char {
  kFirst,      // the first argument ("GET key", "HSET key field value", most commands)
  kNone,       // no key ("PING", "SELECT", "AUTH", "CONFIG SET", ...): nothing kept
  kAll,        // every argument ("DEL k1 k2", "MGET", "SUBSCRIBE ch1 ch2")
  kAlternate,  // every other one, from the first ("MSET k1 v1 k2 v2")
};

// A command of Redis' core set, ASCII case-insensitive. Only used where bytes must prove they are
// a command (inline commands, resynchronising): commands sent as RESP arrays need not be known.
bool IsKnownCommand(std::string_view name);

// Commands whose first argument is a subcommand that names the operation ("CLIENT SETNAME").
// `name` in upper case.
bool IsContainerCommand(std::string_view name);

// `operation` in upper case, with its subcommand for containers ("OBJECT ENCODING").
KeyLayout KeyLayoutOf(std::string_view operation);

}  // namespace otelbpf::redis
