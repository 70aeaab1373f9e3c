"""`telecnn report`: one self-contained HTML page, checked by parsing it and in a real browser
(headless Chromium, which `.ci/run` installs)."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from telecnn.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


class PageParts(HTMLParser):
    """The page's images, links, scripts, headings and tables."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.scripts = 0
        self.headings: list[str] = []
        self.tables = 0
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "img":
            self.images.append(attr.get("src") or "")
        if tag in ("a", "link") and attr.get("href"):
            self.links.append(attr["href"] or "")
        self.scripts += tag == "script"
        self.tables += tag == "table"
        self._in_heading = tag in ("h1", "h2", "h3")

    def handle_data(self, data: str) -> None:
        if self._in_heading and data.strip():
            self.headings.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False


@pytest.fixture(scope="module")
def report_page(hungary_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of three real qualifying laps."""
    out = tmp_path_factory.mktemp("report") / "quali.html"
    files = [str(hungary_dir / f"{d}.json") for d in ("HAM", "LEC", "NOR")]
    args = [a for f in files for a in ("--file", f)]
    result = run("report", *args, "--detector", "rules", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_the_page_holds_every_part_and_needs_no_network(report_page: Path) -> None:
    parts = PageParts()
    parts.feed(report_page.read_text(encoding="utf-8"))
    # the energy chart, three fastest laps' figures, the comparison
    assert len(parts.images) == 5 and parts.tables >= 2 and parts.scripts == 0
    for src in parts.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [link for link in parts.links if "://" in link]
    assert "Corner by corner: the two fastest" in parts.headings
    assert any(h.startswith("NOR lap 17, 1:15.227") for h in parts.headings)  # fastest first
    assert parts.headings.index(next(h for h in parts.headings if h.startswith("NOR lap"))) < (
        parts.headings.index(next(h for h in parts.headings if h.startswith("HAM lap")))
    )


CHECKER = """<script>
window.__errors = [];
window.addEventListener('error',
  e => window.__errors.push(String(e.message || e.target.src)), true);
const original = console.error;
console.error = (...a) => { window.__errors.push(a.join(' ')); original(...a); };
window.addEventListener('load', () => {
  const images = [...document.images];
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  const result = {images: images.length, broken: broken, errors: window.__errors};
  const out = document.createElement('pre');
  out.id = 'telecnn-check';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""


def _browser() -> str | None:
    return next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )


def test_the_page_opens_in_a_real_browser(report_page: Path, tmp_path: Path) -> None:
    """Headless Chromium loads the page: every image decodes, no console error. The checker
    script goes into a copy (the report itself has none)."""
    browser = _browser()
    if browser is None:
        if os.environ.get("TELECNN_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed (CI installs it)")
    page = tmp_path / "checked.html"
    page.write_text(
        report_page.read_text(encoding="utf-8").replace("<head>", "<head>" + CHECKER, 1),
        encoding="utf-8",
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000"]
    done = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    marker = done.stdout.rsplit('<pre id="telecnn-check">', 1)
    assert len(marker) == 2, done.stderr[-2000:]
    result = json.loads(html.unescape(marker[1].split("</pre>", 1)[0]))
    assert result == {"images": 5, "broken": 0, "errors": []}


def test_a_failed_report_leaves_the_earlier_page(report_page: Path, tmp_path: Path) -> None:
    page = tmp_path / "race.html"
    page.write_bytes(report_page.read_bytes())
    bad = tmp_path / "corners.json"
    bad.write_text(json.dumps({"CornerNumber": [1, 2]}))
    result = run("report", "--sim", "monza", "--corners", str(bad), "--out", str(page))
    assert result.exit_code != 0 and "no corner positions" in result.output
    assert page.read_bytes() == report_page.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corners.json", "race.html"]
    result = run("report", "--sim", "monza", "--out", str(tmp_path / "race.txt"))
    assert result.exit_code == 2 and "is an .html file" in result.output


def test_a_simulated_session_reports_its_two_fastest_laps(tmp_path: Path) -> None:
    page = tmp_path / "sim.html"
    result = run("report", "--sim", "monza", "--sim-laps", "3", "--detector", "rules",
                 "--out", str(page))  # fmt: skip
    assert result.exit_code == 0, result.output
    parts = PageParts()
    parts.feed(page.read_text(encoding="utf-8"))
    assert len(parts.images) == 3  # energy chart, the one driver's fastest lap, the comparison


def test_a_race_report_counts_clean_laps_only(f1_data: Path, tmp_path: Path) -> None:
    """The wet Australian race with its timing: the crash laps and the safety-car laps never
    open the page as fastest laps; the page says what it left out and shows every lap's
    status and compound."""
    out = tmp_path / "race.html"
    race = f1_data / "australia-2025"
    source = ["--file", str(race / "race.parquet"), "--laps", str(race / "laps.parquet")]
    result = run("report", *source, "--driver", "NOR,PIA,ALO,DOO", "--detector", "rules",
                 "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text()
    parts = PageParts()
    parts.feed(page)
    fastest = [
        h for h in parts.headings if h.startswith(("NOR lap", "PIA lap", "ALO lap", "DOO lap"))
    ]
    assert [h.split(" lap ")[0] for h in fastest] == ["NOR", "PIA", "ALO"]  # DOO crashed on lap 1
    assert "NOR lap 43, 1:22.167" in fastest[0]  # the timing's fastest lap of the race
    assert "left out:" in page and "partial" in page and "in-lap" in page
    assert "INTERMEDIATE" in page and "HARD" in page and "Laps by status" in parts.headings


def test_a_report_of_two_single_laps_compares_them(hungary_laps, tmp_path: Path) -> None:
    """Two fastf1 car-data exports, one lap a file and no timing: the drivers are the files'
    names, each lap's time its trace's, and the two are compared corner by corner."""
    files = []
    for driver in ("NOR", "HAM"):
        path = tmp_path / f"{driver}.csv"
        hungary_laps[driver].data.drop(columns=["X", "Y", "Z"]).to_csv(path, index=False)
        files += ["--file", str(path)]
    out = tmp_path / "two.html"
    result = run("report", *files, "--detector", "rules", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "No clean lap has a lap time" not in page and "nothing to compare" not in page
    assert re.search(r"(NOR|HAM) vs (HAM|NOR): [+-]\d+\.\d{3} s over the lap", html.unescape(page))
