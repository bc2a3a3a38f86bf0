#include "discovery/service_name.h"

#include <gtest/gtest.h>

namespace otelbpf {
namespace {

struct Case {
  std::vector<std::string_view> argv;
  std::string_view executable;
  std::string_view expected;
};

TEST(ServiceNameFromCommand, NamesWhatWasRun) {
  const Case cases[] = {
      // Symlinks: the name typed, not the link's target.
      {{"/usr/bin/redis-server 127.0.0.1:6379"}, "redis-check-rdb", "redis-server"},
      {{"redis-server", "--port", "6380"}, "redis-check-rdb", "redis-server"},
      // Title-rewriting servers.
      {{"nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf"}, "nginx", "nginx"},
      {{"postgres: 15/main: checkpointer "}, "postgres", "postgres"},
      {{"-bash"}, "bash", "bash"},
      {{"/usr/sbin/memcached", "-p", "11211"}, "memcached", "memcached"},
      // Python: script, module, package entry; inline code keeps the interpreter.
      {{"/usr/bin/python3", "/srv/shop/checkout.py", "--port", "8000"}, "python3.11", "checkout"},
      {{"python3", "-u", "-W", "ignore", "app.py"}, "python3.11", "app"},
      {{"python3", "-m", "http.server", "8000"}, "python3.11", "http.server"},
      {{"python3", "-mhttp.server"}, "python3.11", "http.server"},
      {{"python3", "/srv/payments/__main__.py"}, "python3.11", "payments"},
      {{"python3", "-c", "import time; time.sleep(9)"}, "python3.11", "python3"},
      {{"python3"}, "python3.11", "python3"},
      // A script run through its shebang: argv[0] is the interpreter.
      {{"/usr/bin/python3", "/usr/local/bin/gunicorn", "app:wsgi"}, "python3.11", "gunicorn"},
      // Node.js.
      {{"node", "--require", "./tracing.js", "server.mjs"}, "node", "server"},
      {{"node", "/srv/checkout/index.js"}, "node", "checkout"},
      {{"node", "-e", "require('http').createServer().listen(1)"}, "node", "node"},
      // Java.
      {{"java", "-Xmx1g", "-Dspring.profiles.active=prod", "-jar", "/opt/shop.jar"}, "java", "shop"},
      {{"java", "-cp", "lib/*", "com.acme.billing.Main", "--debug"}, "java", "Main"},
      {{"java", "-m", "com.acme/com.acme.Server"}, "java", "Server"},
      // Ruby, Perl, PHP.
      {{"ruby", "-I", "lib", "bin/worker.rb"}, "ruby3.1", "worker"},
      {{"perl", "-w", "/srv/cgi/report.pl"}, "perl", "report"},
      {{"php", "-d", "memory_limit=1G", "-f", "artisan.php"}, "php8.2", "artisan"},
      {{"php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"}, "php-fpm8.2", "php-fpm"},
      // Gone from /proc: the executable's name; nothing at all: nothing.
      {{}, "curl", "curl"},
      {{}, "", ""},
  };
  for (const Case& c : cases) {
    std::string shown;
    for (auto a : c.argv) shown += std::string(a) + " ";
    EXPECT_EQ(ServiceNameFromCommand(c.argv, c.executable), c.expected) << shown;
  }
}

TEST(ServiceNameFromCommand, InterpreterRecognisedByExecutableWhenArgv0IsRenamed) {
  // A process that renamed argv[0] to its script keeps that name.
  EXPECT_EQ(ServiceNameFromCommand({"celery", "worker"}, "python3.11"), "celery");
  // Versioned names are interpreters; look-alikes are not.
  EXPECT_EQ(ServiceNameFromCommand({"python3-config", "--libs"}, "python3-config"),
            "python3-config");
  EXPECT_EQ(ServiceNameFromCommand({"/usr/bin/python3.11", "job.py"}, "python3.11"), "job");
}

}  // namespace
}  // namespace otelbpf
