"""YAML loading that remembers where every key and value came from."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

Path_ = tuple  # a path into the document: keys and list indices


@dataclass(frozen=True)
class Mark:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class YamlError(ValueError):
    def __init__(self, mark: Mark, message: str):
        self.mark = mark
        super().__init__(f"{mark}: {message}")


def decoded(data: bytes, file: str) -> str:
    """A spec's text; a file that is not UTF-8 (a binary, a Latin-1 file) is
    refused at its first bad byte's line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(Mark(file, line, column),
                        f"not UTF-8 text (byte 0x{data[exc.start]:02x}): a spec is a "
                        "YAML file saved as UTF-8") from None


def load_with_marks(path: Path) -> tuple[object, dict[Path_, Mark]]:
    """Parse ``path``; return the data and a map from each path in it to the
    mark of its key (for mapping entries) or of its value (list items, root)."""
    file = str(path)
    text = decoded(Path(path).read_bytes(), file)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(Mark(file, mark.line + 1, mark.column + 1),
                        f"not valid YAML: {exc.problem}") from None
    finally:
        loader.dispose()
    marks: dict[Path_, Mark] = {}

    def at(yaml_node) -> Mark:
        return Mark(file, yaml_node.start_mark.line + 1, yaml_node.start_mark.column + 1)

    def convert(yaml_node, where: Path_):
        if isinstance(yaml_node, yaml.MappingNode):
            result = {}
            for key_node, value_node in yaml_node.value:
                key = loader.construct_object(key_node)
                if not isinstance(key, (str, int)):
                    raise YamlError(at(key_node), f"key {key!r} must be a string")
                if key in result:
                    raise YamlError(at(key_node), f"key {key!r} given twice")
                marks[(*where, key)] = at(key_node)
                result[key] = convert(value_node, (*where, key))
            return result
        if isinstance(yaml_node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(yaml_node.value):
                marks[(*where, index)] = at(item)
                items.append(convert(item, (*where, index)))
            return items
        return loader.construct_object(yaml_node)

    if node is None:
        raise YamlError(Mark(file, 1, 1), "the file is empty")
    marks[()] = at(node)
    return convert(node, ()), marks


def mark_for(marks: dict[Path_, Mark], where: Path_) -> Mark:
    """The mark of ``where``, or of its nearest ancestor that has one."""
    where = tuple(where)
    while where not in marks and where:
        where = where[:-1]
    return marks[where]
