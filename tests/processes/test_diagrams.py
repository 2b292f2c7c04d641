"""Every model opens in bpmn-js (the viewer of Camunda Modeler and of Regie's web app) without warnings,
and every element of the model is drawn."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import skip_unless_required

from .conftest import ROOT

CHROMIUM = os.environ.get("REGIE_CHROMIUM", "/usr/bin/chromium")
VIEWER = ROOT / "web" / "static" / "vendor" / "bpmn-js" / "bpmn-navigated-viewer.production.min.js"

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="c" style="width:2000px;height:900px"></div>
<pre id="out">pending</pre><script src="%s"></script><script>
const models = %s;
(async () => {
  const result = {};
  for (const [name, xml] of Object.entries(models)) {
    const viewer = new BpmnJS({container: '#c'});
    try {
      const r = await viewer.importXML(xml);
      result[name] = {warnings: r.warnings.map(w => w.message),
                      drawn: viewer.get('elementRegistry').getAll().map(e => e.id)};
    } catch (e) { result[name] = {error: String(e)}; }
    viewer.destroy();
  }
  document.getElementById('out').textContent = JSON.stringify(result);
})();
</script></body></html>"""


def test_every_model_opens_in_bpmn_js(tmp_path):
    if not Path(CHROMIUM).exists():
        skip_unless_required(f"Geen Chromium op {CHROMIUM}: installeer Debian's pakket 'chromium' (doet .ci/run).",
                             "REGIE_REQUIRE_BROWSER")
    if not VIEWER.exists():
        pytest.skip("bpmn-js staat niet in web/static/vendor: draai eerst 'make assets'.")
    models = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "processes").glob("*.bpmn"))}
    page = tmp_path / "viewer.html"
    page.write_text(PAGE % (VIEWER.as_uri(), json.dumps(models)), encoding="utf-8")
    out = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         "--virtual-time-budget=20000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    ).stdout
    found = re.search(r'<pre id="out">(.*?)</pre>', out, re.S)
    assert found and found.group(1) != "pending", "bpmn-js gaf geen uitkomst"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                        .replace("&gt;", ">"))
    for name, xml in models.items():
        assert "error" not in result[name], result[name]
        assert result[name]["warnings"] == [], name
        ids = set(re.findall(r'<bpmn:(?!definitions|process|collaboration|laneSet|documentation|script|'
                             r'conditionExpression|timerEventDefinition|time\w+|flowNodeRef|'
                             r'multiInstanceLoopCharacteristics)\w+ id="([^"]+)"', xml))
        assert len(ids) > 5 and ids - set(result[name]["drawn"]) == set(), name
