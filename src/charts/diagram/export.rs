//! The diagram as text for people's own documents: Graphviz DOT and
//! Mermaid. Both carry the same nodes, labels and line styles as the
//! picture, and, after a run, the same fill colours and bottleneck border.

use std::fmt::Write as _;

use super::build::{Diagram, EdgeKind, Node, NodeKind};
use super::draw::heat;
use crate::charts::palette::hex;

/// The text lines of a node (name first), as the picture shows them.
fn lines(node: &Node) -> Vec<String> {
    super::draw::node_text(node)
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

/// Graphviz DOT: `dot -Tsvg diagram.dot > diagram.svg`. Node ids are
/// `kind:name` ("service:api", "queue:jobs"); edge labels are the visits
/// per request ("×0.2") and per second of the model's traffic mix.
pub(crate) fn dot(d: &Diagram) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "// {}", d.title);
    if !d.subtitle.is_empty() {
        let _ = writeln!(out, "// {}", d.subtitle);
    }
    let _ = writeln!(out, "digraph {} {{", dot_quote(&d.title));
    out.push_str("  rankdir=TB;\n  node [fontname=\"DejaVu Sans\", fontsize=11];\n  edge [fontname=\"DejaVu Sans\", fontsize=10];\n");
    for node in &d.nodes {
        let shape = match node.kind {
            NodeKind::Workload => "shape=oval",
            NodeKind::Balancer => "shape=hexagon",
            NodeKind::Service => "shape=box",
            NodeKind::Database => "shape=cylinder",
            NodeKind::Cache => "shape=box, peripheries=2",
            NodeKind::Pool => "shape=box",
            NodeKind::Queue => "shape=cds",
        };
        let mut style = vec![];
        if matches!(node.kind, NodeKind::Service | NodeKind::Cache) {
            style.push("rounded");
        }
        if node.kind == NodeKind::Pool || node.idle {
            style.push("dashed");
        }
        let fill = node.load.as_ref().filter(|l| l.utilisation.is_finite()).map(|l| hex(heat(l.utilisation)));
        let fill = fill.or((node.kind == NodeKind::Workload).then(|| "#eceff4".to_string()));
        if fill.is_some() {
            style.push("filled");
        }
        let mut attrs = vec![format!("label={}", dot_quote(&lines(node).join("\n"))), shape.to_string()];
        if !style.is_empty() {
            attrs.push(format!("style=\"{}\"", style.join(",")));
        }
        if let Some(f) = fill {
            attrs.push(format!("fillcolor=\"{f}\""));
        }
        if node.idle {
            attrs.push("color=gray".to_string());
        }
        if node.load.as_ref().is_some_and(|l| l.bottleneck) {
            attrs.push("penwidth=3".to_string());
        }
        let _ = writeln!(out, "  {} [{}];", dot_quote(&node.id()), attrs.join(", "));
    }
    for e in &d.edges {
        let mut attrs = Vec::new();
        let label = e.label();
        if !label.is_empty() {
            attrs.push(format!("label={}", dot_quote(&label)));
        }
        if e.idle {
            attrs.push("style=dotted, color=gray".to_string());
        } else if e.kind.asynchronous() {
            attrs.push("style=dashed".to_string());
        }
        if e.kind == EdgeKind::Forward {
            attrs.push("arrowhead=empty".to_string());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(out, "  {} -> {}{attrs};", dot_quote(&d.nodes[e.from].id()), dot_quote(&d.nodes[e.to].id()));
    }
    out.push_str("}\n");
    out
}

fn mermaid_text(text: &str) -> String {
    text.replace('&', "#amp;").replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

/// Mermaid (a `flowchart TD`), for Markdown that renders it (GitHub,
/// GitLab, many wikis). Nodes are `n0`, `n1`, ... in the diagram's order.
pub(crate) fn mermaid(d: &Diagram) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "%% {}", d.title);
    out.push_str("flowchart TD\n");
    for (i, node) in d.nodes.iter().enumerate() {
        let text = lines(node).iter().map(|l| mermaid_text(l)).collect::<Vec<_>>().join("<br/>");
        let (open, close) = match node.kind {
            NodeKind::Workload => ("([", "])"),
            NodeKind::Balancer => ("{{", "}}"),
            NodeKind::Service | NodeKind::Cache => ("(", ")"),
            NodeKind::Database => ("[(", ")]"),
            NodeKind::Pool => ("[/", "/]"),
            NodeKind::Queue => ("[[", "]]"),
        };
        let _ = writeln!(out, "  n{i}{open}\"{text}\"{close}");
    }
    for e in &d.edges {
        let label = e.label();
        let arrow = if e.idle || e.kind.asynchronous() {
            "-.->"
        } else if e.kind == EdgeKind::Forward {
            "==>"
        } else {
            "-->"
        };
        if label.is_empty() {
            let _ = writeln!(out, "  n{} {arrow} n{}", e.from, e.to);
        } else {
            let _ = writeln!(out, "  n{} {arrow}|\"{}\"| n{}", e.from, mermaid_text(&label), e.to);
        }
    }
    for (i, node) in d.nodes.iter().enumerate() {
        let fill = node.load.as_ref().filter(|l| l.utilisation.is_finite()).map(|l| hex(heat(l.utilisation)));
        let bottleneck = node.load.as_ref().is_some_and(|l| l.bottleneck);
        let mut style = Vec::new();
        if let Some(f) = fill {
            style.push(format!("fill:{f}"));
        }
        if bottleneck {
            style.push("stroke:#222222,stroke-width:4px".to_string());
        } else if node.idle {
            style.push("stroke:#afafaf,stroke-dasharray:4 3,color:#5a5a5a".to_string());
        }
        if !style.is_empty() {
            let _ = writeln!(out, "  style n{i} {}", style.join(","));
        }
    }
    out
}
