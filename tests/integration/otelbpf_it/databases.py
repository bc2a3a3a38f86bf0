"""Real database servers from Debian, each started by a test in its work folder on 127.0.0.1 and
an ephemeral port, and always stopped: Redis, Memcached (and the SQL servers, see below)."""

import os

from . import config
from .ports import free_port, wait_listening
from .procs import Process

# A password the tests send and then look for in every exported byte: it must never leave.
SECRET_PASSWORD = "s3cret-Passw0rd-otelbpf"


class RedisServer:
    def __init__(self, workdir: str, password: str = None):
        self.port = free_port()
        self.password = password
        argv = [config.tool("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", workdir]
        if password:
            argv += ["--requirepass", password]
        self.process = Process("redis", argv, workdir)
        wait_listening(self.port, 15, self.process.alive)

    def stop(self) -> None:
        self.process.kill_group()


class MemcachedServer:
    def __init__(self, workdir: str):
        self.port = free_port()
        self.process = Process("memcached", [
            config.tool("memcached"), "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-u", "root",
            "-m", "16"], workdir)
        wait_listening(self.port, 15, self.process.alive)

    def stop(self) -> None:
        self.process.kill_group()


def _postgres_bin(name: str) -> str:
    """Debian installs PostgreSQL's server programs under /usr/lib/postgresql/VERSION/bin."""
    root = "/usr/lib/postgresql"
    versions = sorted((v for v in os.listdir(root) if v.isdigit()), key=int) if os.path.isdir(root) else []
    for v in reversed(versions):
        path = os.path.join(root, v, "bin", name)
        if os.access(path, os.X_OK):
            return path
    raise AssertionError(f"PostgreSQL's {name} not found under {root}: run scripts/setup.sh as root")


class PostgresServer:
    """A throwaway cluster owned by the unprivileged `postgres` user (the server refuses root),
    with a password-protected user (SCRAM over TCP) and a database."""

    USER = "otelbpf_app"
    DATABASE = "shop"

    def __init__(self, workdir: str, tls: bool = False):
        """tls: ssl=on with a certificate made now (clients then ask with sslmode=require)."""
        import pwd
        import subprocess
        self.port = free_port()
        self.dir = os.path.join(workdir, "pg")
        os.makedirs(self.dir)
        pw = pwd.getpwnam("postgres")
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(SECRET_PASSWORD + "\n")
        for path in (workdir, self.dir, pwfile):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(workdir, 0o755)
        runuser = [config.tool("runuser"), "-u", "postgres", "--"]
        ssl_options = []
        if tls:
            from .nginx import make_certificate
            cert, key = make_certificate(self.dir)
            for path in (cert, key):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            os.chmod(key, 0o600)  # the server refuses a key others can read
            ssl_options = ["-c", "ssl=on", "-c", f"ssl_cert_file={cert}", "-c", f"ssl_key_file={key}"]
        subprocess.run(runuser + [_postgres_bin("initdb"), "-D", os.path.join(self.dir, "data"), "-U", self.USER,
                                  "--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}",
                                  "--no-sync"], check=True, capture_output=True, timeout=120)
        self.process = Process("postgres", runuser + [
            _postgres_bin("postgres"), "-D", os.path.join(self.dir, "data"), "-p", str(self.port),
            "-k", self.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", *ssl_options], workdir)
        wait_listening(self.port, 30, self.process.alive)
        deadline = 30
        while subprocess.run(runuser + [_postgres_bin("psql"), "-h", self.dir, "-p", str(self.port), "-U", self.USER,
                                        "-d", "postgres", "-c", f"CREATE DATABASE {self.DATABASE}"],
                             capture_output=True, timeout=30).returncode != 0:
            deadline -= 1
            if deadline == 0:
                raise AssertionError(f"PostgreSQL did not accept connections:\n{self.process.stderr()}")
            import time
            time.sleep(0.5)

    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.USER} password={SECRET_PASSWORD} dbname={self.DATABASE}"

    def stop(self) -> None:
        self.process.kill_group()


class MariaDbServer:
    """mariadbd with its own data directory, a password-protected user over TCP and a database."""

    USER = "otelbpf_app"
    DATABASE = "shop"

    def __init__(self, workdir: str):
        import subprocess
        import time
        self.port = free_port()
        self.dir = os.path.join(workdir, "mariadb")
        os.makedirs(self.dir)
        self.socket = os.path.join(self.dir, "sock")
        subprocess.run([config.tool("mariadb-install-db"), f"--datadir={self.dir}/data", "--user=root",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=180)
        self.process = Process("mariadbd", [
            config.tool("mariadbd"), "--no-defaults", f"--datadir={self.dir}/data", f"--port={self.port}",
            "--bind-address=127.0.0.1", f"--socket={self.socket}", "--user=root", "--skip-log-bin",
            "--innodb-buffer-pool-size=16M", f"--pid-file={self.dir}/pid"], workdir)
        wait_listening(self.port, 60, self.process.alive)
        setup = (f"CREATE DATABASE {self.DATABASE}; CREATE USER '{self.USER}'@'127.0.0.1' IDENTIFIED BY "
                 f"'{SECRET_PASSWORD}'; GRANT ALL ON {self.DATABASE}.* TO '{self.USER}'@'127.0.0.1';")
        for _ in range(60):
            done = subprocess.run([config.tool("mariadb"), "--no-defaults", f"--socket={self.socket}", "-uroot",
                                   "-e", setup], capture_output=True, text=True, timeout=30)
            if done.returncode == 0:
                return
            time.sleep(0.5)
        raise AssertionError(f"MariaDB setup failed: {done.stderr}\n{self.process.stderr()}")

    def stop(self) -> None:
        self.process.kill_group()
