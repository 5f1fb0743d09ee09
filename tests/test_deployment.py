"""Deploying as the README says works: its variables pass `check --deploy`, its gunicorn
command names no software in the Server header, and no key it shows would be accepted."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import gunicorn.http.wsgi

from config.settings import secret_key_problem

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def deployment_commands():
    """The shell block of the README's Deployment section, as lines."""
    section = README.split("\n## Deployment\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)[1]
    return block.splitlines()


def deployment_environment_script():
    """The block's `export` lines (with their continuations), exactly as written."""
    lines, taking = [], False
    for line in deployment_commands():
        if line.startswith("export "):
            taking = True
        if taking:
            lines.append(line)
            taking = line.endswith("\\")
    return "\n".join(lines)


def test_the_readme_deployment_environment_passes_check_deploy():
    script = deployment_environment_script()
    assert "DJANGO_SECRET_KEY" in script
    assert "DATABASE_URL" in script
    result = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", f"{script}\nexec python manage.py check --deploy --fail-level WARNING"],
        cwd=ROOT,
        # Only what the README sets; `python` is the one running the tests.
        env={"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_readme_serves_with_the_gunicorn_config():
    (serve,) = [line for line in deployment_commands() if line.startswith("gunicorn ")]
    assert "--config config/gunicorn.conf.py" in serve


def test_the_gunicorn_config_leaves_no_server_header_naming_the_software(monkeypatch):
    monkeypatch.setattr(gunicorn.http.wsgi, "SERVER", gunicorn.SERVER)
    runpy.run_path(str(ROOT / "config/gunicorn.conf.py"))
    assert gunicorn.http.wsgi.SERVER == ""

    class Request:
        version = (1, 1)
        method = "GET"

        def should_close(self):
            return False

    response = gunicorn.http.wsgi.Response(Request(), None, None)
    response.status, response.status_code = "200 OK", 200
    headers = response.default_headers()
    assert "Server: \r\n" in headers
    assert not any("gunicorn" in header.lower() for header in headers)


def test_no_secret_key_written_in_the_readme_would_be_accepted():
    shown = re.findall(r"DJANGO_SECRET_KEY=([^\s\\`|]+)", README)
    literal = [key.strip("\"'") for key in shown if "$(" not in key]
    for key in literal:
        assert secret_key_problem(key), key
