"""First-use work of the section kernels, done once in their fork server (``kernel_fork.PRELOAD``).

Imported by the fork server only. Plotly imports most of its classes on first use: building
the default template (``plotly_white``: a layout and a style per trace type) and the first
figure of each kind import ~200 modules, ~0.15-0.3 s in every section kernel. Here they are
imported once, and each forked kernel finds them loaded. Nothing a section could see changes:
the template registry only caches the template it would load anyway (``templates.default``
is untouched, ``tests/test_layers.py`` checks), and the figures are thrown away.
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from auditkit.plots import TEMPLATE, figure_html


def _warm_up() -> None:
    template = pio.templates[TEMPLATE]
    frame = pd.DataFrame({"x": ["a", "b"], "y": [1, 2], "c": ["p", "q"]})
    figures = [
        go.Figure([go.Bar(x=frame.x, y=frame.y), go.Scatter(x=frame.x, y=frame.y), go.Box(y=frame.y),
                   go.Heatmap(z=[[1, 2], [3, 4]])], layout={"template": template}),
        px.bar(frame, x="x", y="y", color="c"), px.line(frame, x="x", y="y"),
        px.scatter(frame, x="x", y="y"), px.box(frame, x="c", y="y"),
    ]
    for figure in figures:
        figure_html(figure)


_warm_up()
