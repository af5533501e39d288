""".ci/run decides whether a submission lands: it must fail when the build fails, when the build
leaves committed files stale, when a test fails and when no test ran (pytest's exit code 5), and
it must hand the tests the archived texts beside the clone.

Each case runs the real script in a scratch copy of the repository whose `python3` is a stub:
the stub's virtual environment records what pip and Python were asked to do and exits as told.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

STUB_PYTHON3 = r"""#!/bin/sh
# Stub of python3: `--version`, and `-m venv DIR` making a venv whose pip and python log and obey.
if [ "$1" = "--version" ]; then echo "Python 3.11.0 (stub)"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/bin/sh\necho "pip $*" >> "$STUB_LOG"\nexit 0\n' > "$3/bin/pip"
  cat > "$3/bin/python" <<'EOF'
#!/bin/sh
echo "python $* sources=${CA_MILITANCY_SOURCES:-}" >> "$STUB_LOG"
case "$1" in
  scripts/build.py)
    if [ -n "${STUB_BUILD_WRITES:-}" ]; then echo generated > "$STUB_BUILD_WRITES"; fi
    exit "${STUB_BUILD_EXIT:-0}";;
  -m) exit "${STUB_PYTEST_EXIT:-0}";;
esac
exit 0
EOF
  chmod +x "$3/bin/pip" "$3/bin/python"
  exit 0
fi
echo "unexpected python3 call: $*" >&2
exit 99
"""


def executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def scratch(tmp_path):
    """A git repository holding .ci/run, and a bin/ with the stubs ahead of the real PATH."""
    repo = tmp_path / "clone"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / ".ci" / "run", repo / ".ci" / "run")
    (repo / ".gitignore").write_text(".venv/\n", encoding="utf-8")
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "scratch"], check=True)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    executable(stubs / "python3", STUB_PYTHON3)
    # so that .ci/run skips apt-get: chromium, and the ICU headers and compiler PyICU needs
    for tool in ("chromium", "pkg-config", "g++"):
        executable(stubs / tool, "#!/bin/sh\nexit 0\n")
    return repo, stubs, tmp_path / "stub.log"


def run_ci(scratch, **env_overrides: str) -> tuple[subprocess.CompletedProcess, str]:
    repo, stubs, log = scratch
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUB_", "CA_MILITANCY"))}
    env |= {"PATH": f"{stubs}{os.pathsep}{env['PATH']}", "STUB_LOG": str(log), **env_overrides}
    result = subprocess.run(
        ["bash", str(repo / ".ci" / "run")],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    return result, log.read_text(encoding="utf-8") if log.exists() else ""


def test_passes_when_build_and_tests_pass_and_uses_pinned_installs(scratch):
    result, log = run_ci(scratch)
    assert result.returncode == 0, result.stderr
    calls = log.splitlines()
    assert [c.split()[1] for c in calls if c.startswith("python ")] == ["scripts/build.py", "-m"]
    assert all("-c constraints.txt" in c for c in calls if c.startswith("pip "))
    assert any(".[build,test]" in c for c in calls if c.startswith("pip "))


def test_hands_the_tests_the_archived_texts_beside_the_clone(scratch):
    repo = scratch[0]
    _, log = run_ci(scratch)
    pytest_call = next(c for c in log.splitlines() if c.startswith("python -m pytest"))
    assert pytest_call.endswith(f"sources={repo}/../shared/sources")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STUB_PYTEST_EXIT": "1"}, ""),
        ({"STUB_PYTEST_EXIT": "5"}, "no test"),
        ({"STUB_BUILD_EXIT": "1"}, "build command failed"),
    ],
    ids=["tests-fail", "no-test-ran", "build-fails"],
)
def test_fails(scratch, env, message):
    result, log = run_ci(scratch, **env)
    assert result.returncode != 0
    assert message in result.stderr
    if "STUB_BUILD_EXIT" in env:
        assert "-m pytest" not in log, "tests ran after a failed build"


def test_fails_when_the_build_changes_committed_files(scratch):
    repo = scratch[0]
    result, log = run_ci(scratch, STUB_BUILD_WRITES=str(repo / "datapackage.json"))
    assert result.returncode != 0
    assert "datapackage.json" in result.stderr
    assert "-m pytest" not in log
