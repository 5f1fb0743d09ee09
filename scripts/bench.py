"""`make bench`: the site under gunicorn with production settings, driven by wrk.

Each data size is a PostgreSQL database seeded by `manage.py seed_scale`. All sizes are
served at once, each by its own gunicorn (and Redis database), warmed, and driven by wrk
from a separate process on loopback against every page and API endpoint, plain and as a
conditional request (If-None-Match: what a CDN or client cache sends). Every row is
measured for each size back to back, so the machine's drift from one minute to the next
does not pass for a difference between sizes. The sizes are served twice: once with the
public response cache off, so every request renders ("rendered"), then with it on
("cached", and "304" for the conditional requests), and the story page once more from
Varnish's cache in front of the same server (scripts/deploy/varnish.vcl; "skipped: no
varnishd" without it). It reports requests/s, p50/p95/p99
latency, the ratio to `/healthz` measured by the same server run, each read's p50 over one
connection (its cost with no queue) and SQL queries per rendered request, writes the
table to .bench/ and prints it.

    python scripts/bench.py --size tenth=postgres://…/bench_tenth --size full=postgres://…/bench_full
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import varnish  # scripts/varnish.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench"
PORT = 8089
CORES = os.cpu_count() or 2
ALONE_SECONDS = 3  # one connection: the cost of a request with no queue
VARNISH_ROW = "story page through Varnish (cached)"
REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format(
    '\\nBENCH {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, '
    .. '"bad_status": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
POST_LUA = """
local items = {ITEMS}
local tokens = {TOKENS}
request = function()
  local item = items[math.random(#items)]
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Token " .. tokens[math.random(#tokens)]
  return wrk.format("POST", item[1], headers, item[2])
end
"""


def environment(database_url, redis_db=3):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL": "0",  # plain HTTP on loopback; TLS is the proxy's job
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": database_url,
        "DJANGO_LOG_LEVEL": "WARNING",
        "API_ANON_RATE": "100000000/minute",
        "API_USER_RATE": "100000000/minute",
    }
    if redis_reachable():
        # One database per size: served side by side, they must not share list counts.
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{redis_db}"
    return env


def redis_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3):
            return True
    except OSError:
        return False


def prepare(database_url):
    """In-process, with the server's settings: pick URLs, make tokens, count queries."""
    for name, value in environment(database_url).items():
        os.environ.setdefault(name, value)  # the parent's choices (its Redis database) win
    sys.path.insert(0, str(ROOT))
    # Imported here, not at the top: the benchmark's parent process runs without Django,
    # and these need the settings that the lines above have just chosen.
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from forecasts.models import Forecast, Question
    from news.models import Story

    story = Story.objects.live().order_by("-published_at")[50]
    question = Question.objects.visible().exclude(forecaster_count=0).order_by("pk")[100]
    client = Client()
    deep = "/api/v1/questions/?page_size=20"
    for _ in range(50):  # fifty pages in: a deep cursor
        deep = client.get(deep).json()["next"].replace("http://testserver", "")
    reads = {
        "/healthz": "/healthz",
        "home": "/",
        "story page": story.get_absolute_url(),
        "question page": question.get_absolute_url(),
        "/questions/": "/questions/",
        "API story list": "/api/v1/stories/",
        "API question list": "/api/v1/questions/",
        "API question list, page 51": deep,
        "API question detail": f"/api/v1/questions/{question.slug}/",
        "API history": f"/api/v1/questions/{question.slug}/history/?interval=day",
    }
    queries = {}
    for name, url in reads.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries[name] = len(captured)

    User = get_user_model()
    users = [User.objects.get_or_create(username=f"bench-reader-{n}")[0] for n in range(64)]
    tokens = [Token.objects.get_or_create(user=user)[0].key for user in users]
    items = []
    for open_question in Question.objects.open().prefetch_related("options")[:2000]:
        ids = [o.pk for o in open_question.options.all()]
        body = json.dumps({"probabilities": {str(pk): 1 / len(ids) for pk in ids}})
        items.append((f"/api/v1/questions/{open_question.slug}/forecasts/", body))
    sample = Client(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    with CaptureQueriesContext(connection) as captured:
        response = sample.post(items[0][0], items[0][1], content_type="application/json")
    assert response.status_code == 201, response.content
    queries["forecast submission"] = len(captured)
    # Every forecast on one question: a story gone viral.
    hot = items[1]

    # A signed-in reader who forecast on an open question: their pages show it.
    reader = Client()
    reader.force_login(users[0])
    mine = Question.objects.open().order_by("pk").first()
    ids = list(mine.options.values_list("pk", flat=True))
    answer = reader.post(
        f"/questions/{mine.slug}/forecast/",
        {f"option_{pk}": round(100 / len(ids), 2) for pk in ids} | {"normalise": "on"},
    )
    assert answer.status_code == 302, answer.content
    signed_in = {
        "home, signed in": "/",
        "story page, signed in": story.get_absolute_url(),
        "question page, signed in": mine.get_absolute_url(),
    }
    for name, url in signed_in.items():
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries[name] = len(captured)
    session = (
        f"{settings.SESSION_COOKIE_NAME}={reader.cookies[settings.SESSION_COOKIE_NAME].value}"
    )
    sizes = {
        "forecasts": Forecast.objects.count(),
        "questions": Question.objects.count(),
        "stories": Story.objects.count(),
    }
    connection.close()
    return reads, queries, items, tokens, sizes, hot, signed_in, session


def lua_string(value):
    return "[==[" + value + "]==]"


def wrk(url, seconds, connections, script, headers=()):
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        script,
    ]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def serve(env, port):
    workers = str(2 * (os.cpu_count() or 2) + 1)
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "--config", "config/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}",
         "--workers", workers, "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def ensure_seeded(database_url, seed_arguments):
    """Create the database if it is missing, migrate it, and seed it once."""
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("select 1 from pg_database where datname = %s", [name])
        if not exists.fetchone():
            connection.execute(f'create database "{name}"')
    env = environment(database_url)
    manage = [str(ROOT / ".venv/bin/python"), "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(database_url) as connection:
        seeded = connection.execute(
            "select 1 from news_story where slug like 'scale-%%' limit 1"
        ).fetchone()
    if not seeded:
        print(f"Seeding {name} (once): seed_scale {seed_arguments}", flush=True)
        subprocess.run(
            [*manage, "seed_scale", *seed_arguments.split()], cwd=ROOT, env=env, check=True
        )


def flush_cache(env):
    """Each run starts from an empty cache: sizes share the Redis database, not the data."""
    if "REDIS_URL" in env:
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()


class Size:
    """One data size: its database, what prepare() found in it, and its rows of results."""

    def __init__(self, index, label, database_url):
        self.label, self.port = label, PORT + index
        self.env = environment(database_url, redis_db=3 + index)
        self.base = f"http://127.0.0.1:{self.port}"
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT, env=self.env, check=True,
        )  # fmt: skip
        flush_cache(self.env)
        result = subprocess.run(
            [str(ROOT / ".venv/bin/python"), __file__, "--prepare", database_url],
            cwd=ROOT, env={**self.env, "PUBLIC_RESPONSE_CACHE": "0"},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        (
            self.reads, self.queries, items, tokens, self.sizes, hot, self.signed_in,
            self.session,
        ) = json.loads(result.stdout)  # fmt: skip
        OUT.mkdir(exist_ok=True)
        self.poster = self.post_script(f"post-{label}.lua", items, tokens)
        self.hot_poster = self.post_script(f"post-hot-{label}.lua", [hot], tokens)
        self.rows = {name: {} for name in [*self.reads, *self.signed_in]}

    @staticmethod
    def post_script(name, items, tokens):
        script = OUT / name
        script.write_text(
            POST_LUA.replace(
                "{ITEMS}",
                "{" + ",".join(f"{{{lua_string(p)},{lua_string(b)}}}" for p, b in items) + "}",
            ).replace("{TOKENS}", "{" + ",".join(lua_string(t) for t in tokens) + "}")
            + REPORT_LUA
        )
        return script

    def result(self):
        for name, row in self.rows.items():
            row["queries"] = self.queries.get(name.split(",")[0])
        return {
            "label": self.label, "sizes": self.sizes, "rows": self.rows,
            "redis": "REDIS_URL" in self.env,
        }  # fmt: skip


def bench(sizes, seconds, connections):
    """Serve every size at once and measure each row for all sizes back to back, so the
    machine's drift between minutes does not pass for a difference between sizes."""
    report = OUT / "report.lua"
    report.write_text(REPORT_LUA)

    def load(size, path, script=report, headers=(), conns=connections, duration=seconds):
        return wrk(size.base + path, duration, conns, str(script), headers)

    def run(cache_on, measure):
        servers = []
        try:
            for size in sizes:
                flush_cache(size.env)
                servers.append(
                    serve({**size.env, "PUBLIC_RESPONSE_CACHE": str(int(cache_on))}, size.port)
                )
            for size in sizes:  # warm every worker's connections and caches
                for path in size.reads.values():
                    load(size, path, duration=2)
            measure()
        finally:
            for server in servers:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait()

    def ceiling(mode):
        """/healthz before and after the run: this machine's throughput drifts."""
        for size in sizes:
            after = load(size, size.reads["/healthz"])
            before = size.rows["/healthz"][mode]
            size.rows["/healthz"][mode] = max(before, after, key=lambda result: result["rps"])

    def rendered():
        for name in sizes[0].reads:
            for size in sizes:
                size.rows[name]["rendered"] = load(size, size.reads[name])
            for size in sizes:
                size.rows[name]["alone"] = load(
                    size, size.reads[name], conns=1, duration=ALONE_SECONDS
                )
        # A reader's own pages: never from the response cache, their forecast on them.
        for name in sizes[0].signed_in:
            for size in sizes:
                cookie = [f"Cookie: {size.session}"]
                size.rows[name]["rendered"] = load(size, size.signed_in[name], headers=cookie)
                size.rows[name]["alone"] = load(
                    size, size.signed_in[name], headers=cookie, conns=1, duration=ALONE_SECONDS
                )
        ceiling("rendered")
        for size in sizes:
            load(size, "/", script=size.poster, duration=1)
        for size in sizes:
            size.rows["forecast submission"] = {"rendered": load(size, "/", size.poster)}
        # Latency without a queue: one connection per core, so p95 is the work itself.
        for size in sizes:
            size.rows[f"forecast submission, {CORES} connections"] = {
                "rendered": load(size, "/", size.poster, conns=CORES)
            }
        # Every request on one question: its row lock serialises them.
        for size in sizes:
            size.rows["forecast submission, one hot question"] = {
                "rendered": load(size, "/", size.hot_poster)
            }

    def cached():
        for name in sizes[0].reads:
            for size in sizes:
                path = size.reads[name]
                size.rows[name]["cached"] = load(size, path)
                # The tag of the stored response, fetched now, as a CDN or browser holds it.
                etag = urllib.request.urlopen(size.base + path).headers.get("ETag")  # noqa: S310
                if etag:
                    size.rows[name]["conditional"] = load(
                        size, path, headers=[f"If-None-Match: {etag}"]
                    )
        for size in sizes:
            size.rows[VARNISH_ROW] = through_varnish(size, seconds, connections, report)
        ceiling("cached")

    run(cache_on=False, measure=rendered)
    run(cache_on=True, measure=cached)
    return [size.result() for size in sizes]


def through_varnish(size, seconds, connections, report):
    """The story page as Varnish serves it from its cache, in front of the same server
    (scripts/deploy/varnish.vcl): a CDN hit on this machine, beside the app's own cache.
    {"skipped": reason} where varnishd or vmod xkey is missing or does not start."""
    reason = varnish.missing()
    if reason:
        return {"skipped": "no varnishd" if "varnishd" in reason else "no vmod xkey"}
    server = varnish.Varnish(size.port)
    try:
        server.start()
    except RuntimeError as error:
        return {"skipped": f"varnishd did not start ({str(error)[-80:]})"}
    try:
        url = server.url + size.reads["story page"]
        wrk(url, 2, connections, str(report))  # the first request fills the cache
        return {"cached": wrk(url, seconds, connections, str(report))}
    finally:
        server.stop()


def _cells(row, ceiling, mode, latencies=("p50", "p95", "p99")):
    result = row.get(mode)
    if not result:
        return ["–"] * (2 + len(latencies))
    return [f"{result['rps']:,.0f}", f"{100 * result['rps'] / ceiling:.0f}%"] + [
        f"{result[p] / 1000:.1f}" for p in latencies
    ]


def table(result):
    rows = result["rows"]
    lines = [
        f"**{result['label']}**: {result['sizes']['stories']:,} stories, "
        f"{result['sizes']['questions']:,} questions, {result['sizes']['forecasts']:,} forecasts"
        f"; cache: {'Redis' if result['redis'] else 'local memory'}",
        "",
        "| endpoint | rendered req/s | % of /healthz | p50 ms | p95 ms | p99 ms "
        "| cached req/s | % of /healthz | p95 ms | 304 req/s | % of /healthz | p95 ms "
        "| SQL/req | 1 conn p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    # Each mode against /healthz measured by the same server run.
    rendered_ceiling = rows["/healthz"]["rendered"]["rps"]
    cached_ceiling = rows["/healthz"]["cached"]["rps"]
    for name, row in rows.items():
        if row.get("skipped"):
            lines.append(f"| {name} | skipped: {row['skipped']} |" + " – |" * 13)
            continue
        cells = (
            _cells(row, rendered_ceiling, "rendered")
            + _cells(row, cached_ceiling, "cached", ("p95",))
            + _cells(row, cached_ceiling, "conditional", ("p95",))
        )
        queries = row["queries"] if row["queries"] is not None else "–"
        alone = f"{row['alone']['p50'] / 1000:.1f}" if row.get("alone") else "–"
        lines.append(f"| {name} | {' | '.join(cells)} | {queries} | {alone} |")
    return "\n".join(lines)


def comparison(small, large):
    lines = [
        f"**Growth: {large['label']} against {small['label']}** (% change)",
        "",
        "| endpoint | 1 conn p50 | rendered req/s | rendered p95 | cached req/s | cached p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in large["rows"].items():
        before_alone, after_alone = small["rows"][name].get("alone"), row.get("alone")
        cells = ["–"]
        if before_alone and after_alone:
            cells = [f"{100 * (after_alone['p50'] / max(before_alone['p50'], 1) - 1):+.0f}%"]
        for mode in ("rendered", "cached"):
            before, after = small["rows"][name].get(mode), row.get(mode)
            if before and after:
                cells += [
                    f"{100 * (after['rps'] / before['rps'] - 1):+.0f}%",
                    f"{100 * (after['p95'] / max(before['p95'], 1) - 1):+.0f}%",
                ]
            else:
                cells += ["–", "–"]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def interpreter():
    """ "CPython 3.12.1 (built without PGO, without LTO)": the build matters here."""
    flags = sysconfig.get_config_var("CONFIG_ARGS") or ""
    pgo = "with PGO" if "--enable-optimizations" in flags else "without PGO"
    lto = "with LTO" if "--with-lto" in flags else "without LTO"
    return f"{platform.python_implementation()} {platform.python_version()} ({pgo}, {lto})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="LABEL=DATABASE_URL[=SEED_SCALE_ARGUMENTS]",
        help="a data size to bench; with seed arguments, the database is created and "
        "seeded first if it has no scale data",
    )
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.prepare)))
        return
    if not shutil.which("wrk"):
        raise SystemExit("make bench needs wrk (Debian/Ubuntu: apt install wrk).")
    sizes = []
    for index, size in enumerate(args.size):
        label, database_url, *seed = size.split("=", 2)
        if seed:
            ensure_seeded(database_url, seed[0])
        sizes.append(Size(index, label, database_url))
    results = bench(sizes, args.seconds, args.connections)
    machine = (
        f"{os.cpu_count()} cores, {os.uname().machine}, {os.uname().sysname} {os.uname().release}"
    )
    text = [f"Benchmark of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}; "
            f"wrk -t2 -c{args.connections}, {args.seconds} s per row, gunicorn "
            f"{2 * (os.cpu_count() or 2) + 1} sync workers, production settings; "
            f"{interpreter()}.", ""]  # fmt: skip
    for result in results:
        text += [table(result), ""]
    if len(results) == 2:
        text += [comparison(*results), ""]
    OUT.mkdir(exist_ok=True)
    (OUT / "results.md").write_text("\n".join(text))
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print("\n".join(text))


if __name__ == "__main__":
    main()
