"""Every relative link and image of README.md and docs/*.md leads somewhere.

The README is the front door and sends readers to docs/; a file moved or a heading renamed
there must not leave a dead link behind. Checked: the target file of each relative link or
image exists in the repository, and a ``#fragment`` names a heading of its Markdown target
(GitHub's anchors). External links (http, https, mailto) are not fetched.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# [text](target) and ![alt](target); the text may hold an image (a linked image)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = ("http://", "https://", "mailto:")


def prose_lines(path):
    """The lines of a Markdown file outside fenced code blocks, with inline code blanked."""
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            inside = not inside
            continue
        if not inside:
            yield INLINE_CODE.sub("``", line)


def github_anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    """Anchors of the headings of a Markdown file (a repeated heading gets -1, -2...)."""
    seen, found = {}, set()
    for line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match.group(2))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def relative_links(path):
    """(line number, target) of every relative link and image of a Markdown file."""
    inside = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line.strip()):
            inside = not inside
            continue
        if inside:
            continue
        for target in LINK.findall(INLINE_CODE.sub("``", line)):
            if not target.startswith(EXTERNAL):
                yield number, target


def broken_links(path):
    """Messages naming each relative link of ``path`` whose file or heading is missing."""
    problems = []
    for number, target in relative_links(path):
        file_part, _hash, fragment = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        if not destination.exists():
            problems.append(f"{where}: no file {file_part}")
        elif ROOT not in destination.parents and destination != ROOT:
            problems.append(f"{where}: outside the repository")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            problems.append(f"{where}: no heading #{fragment} in {destination.name}")
    return problems


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_and_images_resolve(document):
    assert not broken_links(document), "\n".join(broken_links(document))


def test_the_checker_sees_a_dead_link_and_a_dead_anchor(tmp_path, monkeypatch):
    """The check can fail: a missing file, a missing image and a missing heading are named."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Set up\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/guide.md#set-up) [gone](docs/gone.md) ![shot](docs/shot.png)\n"
        "[bad anchor](docs/guide.md#setting-up) `[in code](nowhere.md)`\n"
        "```\n[in a fence](nowhere.md)\n```\n[web](https://example.com/x.md)\n",
        encoding="utf-8",
    )
    problems = broken_links(page)
    assert [problem.split(": ", 2)[1] for problem in problems] == [
        "docs/gone.md", "docs/shot.png", "docs/guide.md#setting-up",
    ], problems


def test_the_readme_keeps_the_test_command():
    """CI (.ci/run) runs the README's test command: the README must still show it."""
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")
