"""The program role: any command, in its own working directory with the
files it names, under a time limit, ready by a port or a line it prints."""
from services.base import HostContext
from services.programs.program import KILL_AFTER_S, Program


def ctx(tmp_path, **params) -> HostContext:
    return HostContext(name="student", host="server", ip="10.0.0.2", home=tmp_path / "home",
                       params=params)


def test_it_runs_the_command_in_its_home_under_a_time_limit(tmp_path):
    found = Program().command(ctx(tmp_path, command="python3 UDPServer.py -p '1 2'",
                                  time_limit_s=30))
    assert found == ["timeout", f"--kill-after={KILL_AFTER_S}s", "30s",
                     "env", "-C", str(tmp_path / "home"), "python3", "UDPServer.py", "-p", "1 2"]
    # As a workload, the run's duration is the limit when the spec gives none.
    assert Program().command(ctx(tmp_path, command=["prog"], duration_s=12.5))[2] == "12.5s"


def test_its_files_are_copied_into_its_working_directory(tmp_path):
    source = tmp_path / "mine.py"
    source.write_text("print('hi')\n")
    files = Program().config(ctx(tmp_path, command="x", files={"UDPServer.py": str(source)}))
    assert files == {tmp_path / "home" / "UDPServer.py": b"print('hi')\n"}


def test_ready_when_the_line_it_prints_appears(tmp_path):
    context = ctx(tmp_path, command="x", ready={"line": r"ready on port \d+"})
    context.home.mkdir()
    assert not Program().ready(context, probe=None)
    (context.home / "stdout.log").write_text("The server is ready on port 12000\n")
    assert Program().ready(context, probe=None)


class Probe:
    def __init__(self, listening: str):
        self.listening, self.asked = listening, []

    def run(self, argv):
        self.asked.append(argv)
        return 0, self.listening


def test_ready_when_something_listens_on_its_port(tmp_path):
    context = ctx(tmp_path, command="x", ready={"port": 12000, "protocol": "udp"})
    probe = Probe("")
    assert not Program().ready(context, probe)
    assert probe.asked == [["ss", "-Hlnu", "sport = :12000"]]
    assert Program().ready(context, Probe("UNCONN 0 0 0.0.0.0:12000 0.0.0.0:*"))


def test_bad_parameters_are_named(tmp_path):
    problems = dict(Program.param_problems(
        {"command": "", "files": {"a/b.py": "x"}, "ready": {"port": "80"}, "time_limit_s": 0},
        spec=None))
    assert set(problems) == {("command",), ("files",), ("ready",), ("time_limit_s",)}
    missing = dict(Program.param_problems({"command": "x", "files": {"s.py": str(tmp_path / "no")}},
                                          spec=None))
    assert "no such file" in missing[("files", "s.py")]
