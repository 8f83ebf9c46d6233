"""The two JavaScript libraries of a report set, shipped once in ``assets/`` and packed.

``assets/plotly.min.js`` holds the plotly.js bundle of the installed plotly package and
``assets/itables.js`` itables' offline DataTables initialisation (its bundle, CSS and loader),
each as base64 of its gzipped text plus a few lines that unpack it with the browser's own gzip
decoder (``DecompressionStream``) and run it. Packed, the two weigh 2.2 MB instead of 5.6 MB,
which keeps a report set of 2,000 pipelines within 8 MB. Nothing is fetched: the files work
from ``file://`` with the network off. Until plotly.js is unpacked, ``Plotly.newPlot`` calls
made by the page are queued and then replayed.
"""
from __future__ import annotations

import base64
import gzip
import json
import re
from functools import lru_cache
from pathlib import Path

import plotly

UNPACK = """
(function () {
  "use strict";
  window.akUnpack = window.akUnpack || function (packed) {
    var bytes = Uint8Array.from(atob(packed), function (c) { return c.charCodeAt(0); });
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  };
  window.akRunScript = window.akRunScript || function (code) {
    var script = document.createElement("script");
    script.text = code;
    document.head.appendChild(script);
  };
})();
"""

PLOTLY_RUN = """
(function () {
  "use strict";
  var queue = [];
  window.Plotly = { newPlot: function () {
    var args = arguments;
    return new Promise(function (done) { queue.push([args, done]); });
  } };
  var packed = window.AK_PLOTLY_PACKED;
  window.AK_PLOTLY_PACKED = null;
  window.akPlotlyReady = window.akUnpack(packed).then(function (code) {
    window.akRunScript(code);
    queue.forEach(function (q) { q[1](window.Plotly.newPlot.apply(window.Plotly, q[0])); });
    queue = [];
    return window.Plotly;
  });
})();
"""

ITABLES_RUN = """
(function () {
  "use strict";
  var packed = window.AK_ITABLES_PACKED;
  window.AK_ITABLES_PACKED = null;
  window.akUnpack(packed).then(window.akRunScript);
})();
"""


def pack(text: str) -> str:
    """base64 of the gzipped UTF-8 text (deterministic: no timestamp)."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def plotly_bundle() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@lru_cache(maxsize=1)
def plotly_asset() -> str:
    packed = pack(plotly_bundle().read_text(encoding="utf-8"))
    return f'window.AK_PLOTLY_PACKED="{packed}";\n{UNPACK}{PLOTLY_RUN}'


@lru_cache(maxsize=1)
def itables_script() -> str:
    """itables' own offline initialisation script (its DataTables bundle and CSS, loaded as a
    module from a blob URL), with the two payloads as JSON string literals instead of base64."""
    from itables import options
    from itables.javascript import generate_init_offline_itables_html

    html = generate_init_offline_itables_html(options.dt_bundle)
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    calls = re.findall(r'(inject(?:CSS|Module))\("([A-Za-z0-9+/=]+)"\)', scripts[0]) if len(scripts) == 1 else []
    if len(calls) != 2 or scripts[0].count("atob(") != 2:
        raise RuntimeError("itables' offline initialisation changed shape; update itables_script()")
    script = scripts[0].replace("atob(base64CSS)", "base64CSS").replace("atob(base64JS)", "base64JS")
    for name, payload in calls:
        text = base64.b64decode(payload).decode("utf-8")
        script = script.replace(f'{name}("{payload}")', f"{name}({json.dumps(text)})")
    return script


@lru_cache(maxsize=1)
def itables_asset() -> str:
    return f'window.AK_ITABLES_PACKED="{pack(itables_script())}";\n{UNPACK}{ITABLES_RUN}'
