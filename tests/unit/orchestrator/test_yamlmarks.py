"""YAML with every key's and item's file, line and column; a file that is
not UTF-8, not YAML, empty, or gives a key twice is refused where it goes
wrong."""
import pytest

from orchestrator.yamlmarks import Mark, YamlError, load_with_marks, mark_for

SPEC = """\
title: x
topology:
  builder: two_hosts
  params: {link: {delay: 5ms}}
events:
  - {at: 1, link: [h1, s1]}
  - at: 2
"""


def write(tmp_path, text, name="spec.yaml", raw: bytes | None = None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(text)
    return path


def test_every_key_and_item_has_its_line_and_column(tmp_path):
    path = write(tmp_path, SPEC)
    data, marks = load_with_marks(path)
    assert data["topology"]["params"]["link"] == {"delay": "5ms"}
    assert marks[("topology", "builder")] == Mark(str(path), 3, 3)
    assert marks[("topology", "params", "link", "delay")] == Mark(str(path), 4, 19)
    assert marks[("events", 1)] == Mark(str(path), 7, 5)
    assert str(marks[("events", 0, "link", 1)]) == f"{path}:6:24"


def test_a_path_without_a_mark_takes_its_nearest_ancestors():
    marks = {(): Mark("f", 1, 1), ("a",): Mark("f", 2, 1)}
    assert mark_for(marks, ("a", "b", 3)) == Mark("f", 2, 1)
    assert mark_for(marks, ("z",)) == Mark("f", 1, 1)


@pytest.mark.parametrize("text, raw, says, line, column", [
    ("a: 1\nb: 2\na: 3\n", None, "key 'a' given twice", 3, 1),
    ("a: [1, 2\nb: 3\n", None, "not valid YAML", 2, 2),
    ("? [1, 2]\n: x\n", None, "must be a string", 1, 3),
    ("", None, "the file is empty", 1, 1),
    (None, "title: caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9)", 1, 11),
])
def test_what_cannot_be_read_is_refused_where_it_goes_wrong(tmp_path, text, raw, says, line,
                                                             column):
    path = write(tmp_path, text, raw=raw)
    with pytest.raises(YamlError) as err:
        load_with_marks(path)
    assert (err.value.mark.line, err.value.mark.column) == (line, column), str(err.value)
    assert says in str(err.value)
