#include "protocols/redis/command_table.h"

#include <algorithm>
#include <cstddef>

namespace otelbpf::redis {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;
  }
  return true;
}

// `list`: upper-case names separated by single spaces.
bool Contains(std::string_view list, std::string_view name) {
  if (name.empty()) return false;
  while (!list.empty()) {
    const size_t end = std::min(list.find(' '), list.size());
    if (EqualsIgnoringCase(name, list.substr(0, end))) return true;
    list.remove_prefix(std::min(end + 1, list.size()));
  }
  return false;
}

constexpr std::string_view kCommands =
    "ACL APPEND ASKING AUTH BGREWRITEAOF BGSAVE BITCOUNT BITFIELD BITFIELD_RO BITOP BITPOS BLMOVE "
    "BLMPOP BLPOP BRPOP BRPOPLPUSH BZMPOP BZPOPMAX BZPOPMIN CLIENT CLUSTER COMMAND CONFIG COPY "
    "DBSIZE DEBUG DECR DECRBY DEL DISCARD DUMP ECHO EVAL EVALSHA EVALSHA_RO EVAL_RO EXEC EXISTS "
    "EXPIRE EXPIREAT EXPIRETIME FAILOVER FCALL FCALL_RO FLUSHALL FLUSHDB FUNCTION GEOADD GEODIST "
    "GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO GEORADIUS_RO GEOSEARCH "
    "GEOSEARCHSTORE GET GETBIT GETDEL GETEX GETRANGE GETSET HDEL HELLO HEXISTS HEXPIRE HEXPIREAT "
    "HEXPIRETIME HGET HGETALL HGETDEL HGETEX HINCRBY HINCRBYFLOAT HKEYS HLEN HMGET HMSET HPERSIST "
    "HPEXPIRE HPEXPIREAT HPEXPIRETIME HPTTL HRANDFIELD HSCAN HSET HSETEX HSETNX HSTRLEN HTTL "
    "HVALS INCR INCRBY INCRBYFLOAT INFO KEYS LASTSAVE LATENCY LCS LINDEX LINSERT LLEN LMOVE LMPOP "
    "LOLWUT LPOP LPOS LPUSH LPUSHX LRANGE LREM LSET LTRIM MEMORY MGET MIGRATE MODULE MONITOR MOVE "
    "MSET MSETNX MULTI OBJECT PERSIST PEXPIRE PEXPIREAT PEXPIRETIME PFADD PFCOUNT PFDEBUG PFMERGE "
    "PFSELFTEST PING PSETEX PSUBSCRIBE PSYNC PTTL PUBLISH PUBSUB PUNSUBSCRIBE QUIT RANDOMKEY "
    "READONLY READWRITE RENAME RENAMENX REPLCONF REPLICAOF RESET RESTORE RESTORE-ASKING ROLE RPOP "
    "RPOPLPUSH RPUSH RPUSHX SADD SAVE SCAN SCARD SCRIPT SDIFF SDIFFSTORE SELECT SET SETBIT SETEX "
    "SETNX SETRANGE SHUTDOWN SINTER SINTERCARD SINTERSTORE SISMEMBER SLAVEOF SLOWLOG SMEMBERS "
    "SMISMEMBER SMOVE SORT SORT_RO SPOP SPUBLISH SRANDMEMBER SREM SSCAN SSUBSCRIBE STRLEN "
    "SUBSCRIBE SUBSTR SUNION SUNIONSTORE SUNSUBSCRIBE SWAPDB SYNC TIME TOUCH TTL TYPE UNLINK "
    "UNSUBSCRIBE UNWATCH WAIT WAITAOF WATCH XACK XADD XAUTOCLAIM XCLAIM XDEL XGROUP XINFO XLEN "
    "XPENDING XRANGE XREAD XREADGROUP XREVRANGE XSETID XTRIM ZADD ZCARD ZCOUNT ZDIFF ZDIFFSTORE "
    "ZINCRBY ZINTER ZINTERCARD ZINTERSTORE ZLEXCOUNT ZMPOP ZMSCORE ZPOPMAX ZPOPMIN ZRANDMEMBER "
    "ZRANGE ZRANGEBYLEX ZRANGEBYSCORE ZRANGESTORE ZRANK ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK "
    "ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK ZSCAN ZSCORE ZUNION "
    "ZUNIONSTORE";

constexpr std::string_view kContainers =
    "ACL CLIENT CLUSTER COMMAND CONFIG DEBUG FUNCTION LATENCY MEMORY MODULE OBJECT PUBSUB SCRIPT "
    "SLOWLOG XGROUP XINFO";

// Containers whose subcommands take a key first ("OBJECT ENCODING key", "XINFO STREAM key").
constexpr std::string_view kKeyedContainers = "OBJECT MEMORY XGROUP XINFO";

// Commands without keys. AUTH and HELLO carry passwords, MIGRATE may (AUTH/AUTH2), EVAL and
// FCALL carry scripts and their arguments: all of them must stay "?".
constexpr std::string_view kKeyless =
    "AUTH HELLO PING ECHO SELECT QUIT RESET INFO DBSIZE FLUSHDB FLUSHALL SAVE BGSAVE BGREWRITEAOF "
    "LASTSAVE TIME MULTI EXEC DISCARD UNWATCH KEYS SCAN RANDOMKEY EVAL EVALSHA EVAL_RO EVALSHA_RO "
    "FCALL FCALL_RO SWAPDB WAIT WAITAOF SHUTDOWN REPLICAOF SLAVEOF MONITOR FAILOVER ROLE LOLWUT "
    "MIGRATE REPLCONF";

constexpr std::string_view kAllKeys =
    "DEL UNLINK EXISTS TOUCH WATCH MGET SINTER SUNION SDIFF PFCOUNT PFMERGE RENAME RENAMENX "
    "SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE";

}  // namespace

bool IsKnownCommand(std::string_view name) { return Contains(kCommands, name); }

bool IsContainerCommand(std::string_view name) { return Contains(kContainers, name); }

KeyLayout KeyLayoutOf(std::string_view operation) {
  const size_t space = operation.find(' ');
  if (space != std::string_view::npos) {
    return Contains(kKeyedContainers, operation.substr(0, space)) ? KeyLayout::kFirst
                                                                  : KeyLayout::kNone;
  }
  if (IsContainerCommand(operation) || Contains(kKeyless, operation)) return KeyLayout::kNone;
  if (Contains(kAllKeys, operation)) return KeyLayout::kAll;
  if (operation == "MSET" || operation == "MSETNX") return KeyLayout::kAlternate;
  return KeyLayout::kFirst;
}

}  // namespace otelbpf::redis
