"""A computational-graph stepper: the forward pass, then the backward pass, one node at a time.

Step 0 shows the bare graph. The forward steps compute the nodes' values in order (inputs
first); the backward steps start from the output (adjoint 1) and give each node its adjoint
∂output/∂node = Σ over its children of (child's adjoint) × (local derivative on that edge), with
the local derivatives written on the edges as they are used. The readout says in words which
node is being computed, with which numbers.

Keyboard: the step slider moves with the arrow keys (Home / End jump to the start / end); the
"previous" and "next" buttons are reachable with Tab and pressed with Enter or Space.
"""

from __future__ import annotations

import ipywidgets as widgets

from calcml.autodiff import GRAPHS, Graph
from calcml.figures import new_figure
from calcml.plots.backprop import GRAPH_SIZE, _fmt, draw_graph, local_label
from calcml.widgets.base import FigureApp


def _factor(value: float) -> str:
    """A number as a factor in a product: negative ones in brackets, 0.8 · (−1)."""
    return f"({_fmt(value)})" if value < 0 else _fmt(value)


def describe_step(graph: Graph, step: int) -> str:
    """Plain text for step ``step`` (0 = nothing computed yet) of the graph's forward/backward sequence."""
    sequence = graph.steps()
    if not 0 <= step <= len(sequence):
        raise ValueError(f"step must be between 0 and {len(sequence)}, got {step}")
    values = graph.forward()
    adjoints = graph.backward(values)
    local = graph.local_derivatives(values)
    n_forward = len(graph.nodes)
    head = f"Step {step} of {len(sequence)}"
    if step == 0:
        return (
            f"{head}: nothing computed yet. The forward pass ({n_forward} steps) computes every "
            f"value; the backward pass ({n_forward} steps) every adjoint ∂{graph.output}/∂node."
        )
    phase, name = sequence[step - 1]
    node = graph.node(name)
    if phase == "forward":
        if node.is_input:
            return f"{head} (forward): input {name} = {_fmt(values[name])}, given."
        args = ", ".join(f"{p} = {_fmt(values[p])}" for p in node.parents)
        return f"{head} (forward): {node.label} with {args} gives {name} = {_fmt(values[name])}."
    out = graph.output
    if name == out:
        return f"{head} (backward): start at the output, ∂{out}/∂{out} = 1."
    terms = []
    for child in graph.children(name):
        d = local[(name, child.name)]
        text = child.local_text[child.parents.index(name)]
        terms.append((child.name, text, d))
    formula = " + ".join(f"∂{out}/∂{c} · ∂{c}/∂{name}" for c, _, _ in terms)
    numbers = " + ".join(f"{_factor(adjoints[c])} · {_factor(d)}" for c, _, d in terms)
    locals_text = "; ".join(local_label(text, d) for _, text, d in terms)
    paths = f" ({len(terms)} paths, their contributions add up)" if len(terms) > 1 else ""
    return (
        f"{head} (backward): node {name}{paths}. Local derivative{'s' if len(terms) > 1 else ''}: "
        f"{locals_text}.\n∂{out}/∂{name} = {formula} = {numbers} = {_fmt(adjoints[name])}."
    )


class GraphStepper(FigureApp):
    """Step through the forward values and the backward adjoints of a small scalar graph."""

    def __init__(self, graph_name: str = "one neuron", step: int = 0):
        if graph_name not in GRAPHS:
            raise ValueError(f"unknown graph {graph_name!r}; choose one of {sorted(GRAPHS)}")
        self.graph = GRAPHS[graph_name]()
        total = len(self.graph.steps())
        self.step_slider = widgets.IntSlider(
            value=min(max(int(step), 0), total),
            min=0,
            max=total,
            step=1,
            description="step",
            continuous_update=True,
            style={"description_width": "initial"},
        )
        self.graph_choice = widgets.Dropdown(
            options=list(GRAPHS), value=graph_name, description="graph"
        )
        self.previous_button = widgets.Button(description="◀ previous", tooltip="previous step")
        self.next_button = widgets.Button(description="next ▶", tooltip="next step")
        self.previous_button.on_click(lambda _: self._move(-1))
        self.next_button.on_click(lambda _: self._move(+1))
        self.graph_choice.observe(self._on_graph, names="value")
        fig = new_figure(*GRAPH_SIZE)
        fig.set_layout_engine("none")  # a fixed layout: the picture is redrawn at every step
        self.ax = fig.axes[0]
        self.ax.set_position([0.01, 0.01, 0.98, 0.91])
        buttons = widgets.HBox([self.previous_button, self.next_button])
        super().__init__(
            fig,
            controls=[self.step_slider, self.graph_choice, buttons],
            title="Computational-graph stepper",
            caption="A computational graph drawn as boxes and arrows. Forward steps fill in each "
            "node's value; backward steps fill in each node's adjoint and write the local "
            "derivative on every edge it uses. The current node is highlighted.",
        )

    def _move(self, delta: int) -> None:
        s = self.step_slider
        s.value = min(max(s.value + delta, s.min), s.max)

    def _on_graph(self, change) -> None:
        self.graph = GRAPHS[change["new"]]()
        self.step_slider.max = len(self.graph.steps())
        self.step_slider.value = 0
        self.refresh(full=True)

    @property
    def current(self) -> tuple[str, str] | None:
        step = self.step_slider.value
        return None if step == 0 else self.graph.steps()[step - 1]

    def state(self) -> tuple[set[str], set[str]]:
        """Which nodes show a value and which show an adjoint at the current step."""
        done = self.graph.steps()[: self.step_slider.value]
        return {n for p, n in done if p == "forward"}, {n for p, n in done if p == "backward"}

    def update_figure(self) -> bool:
        values = self.graph.forward()
        adjoints = self.graph.backward(values)
        local = self.graph.local_derivatives(values)
        shown_values, shown_adjoints = self.state()
        current = self.current
        draw_graph(
            self.ax,
            self.graph,
            values,
            adjoints,
            local,
            shown_values,
            shown_adjoints,
            current[1] if current else None,
        )
        phase = "forward pass" if not shown_adjoints else "backward pass"
        if self.step_slider.value == 0:
            phase = "before the forward pass"
        self.ax.set_title(f"{self.graph.title}: {phase}")
        return True  # the whole picture changes: redraw it

    def readout(self) -> str:
        return describe_step(self.graph, self.step_slider.value)


def graph_stepper(graph_name: str = "one neuron", step: int = 0) -> GraphStepper:
    """The stepper on one of the preset graphs ("one neuron", "two paths")."""
    return GraphStepper(graph_name, step)
